// createClient(): a typed client whose methods send calls through a transport.
// Deadlines and AbortSignals apply to the whole call; giving up closes the
// reply channel, which the handler sees as cancellation.
import type { DescMethod, DescService, Message } from "@bufbuild/protobuf";
import { AbortedError, TimeoutError } from "../errors.js";
import { BytesChannel } from "../codec/channel-type.js";
import { channel } from "../routing/channel.js";
import type { Sender } from "../ends/sender.js";
import { ProtochanOptions } from "../schema/options.js";
import { decodeMessage, encodeMessage, errorOf, type CallEnvelope, type ReplyFrame } from "./envelope.js";
import { RpcError } from "./errors.js";
import { channelTransport, type CallTransport, type ReplyStream } from "./transport.js";
import type { CallOptions, Client } from "./types.js";

/** A typed client of `service`, over a call channel or a transport (e.g. a worker set). */
export function createClient<S extends DescService>(service: S, via: CallTransport | Sender<CallEnvelope>): Client<S> {
  const transport = "start" in via ? via : channelTransport(via);
  const options = ProtochanOptions.of(service.file);
  const client: Record<string, unknown> = {};
  for (const method of service.methods) {
    const oneWay = options.forMethod(method).oneWay;
    client[method.localName] = methodCaller(transport, method, oneWay);
  }
  return client as Client<S>;
}

type Init = object;

/** The replies of a call whose signal was aborted before it began: it is never sent. */
const NOT_SENT: ReplyStream = { next: () => new Promise(() => {}), close: () => {} };

function methodCaller(transport: CallTransport, method: DescMethod, oneWay: boolean): unknown {
  switch (method.methodKind) {
    case "unary":
      return (request: Init, options?: CallOptions) => {
        const call = new Call(transport, method, { request: encodeMessage(method.input, request) }, options);
        return oneWay ? call.handedOver() : call.single();
      };
    case "server_streaming":
      return (request: Init, options?: CallOptions) =>
        new Call(transport, method, { request: encodeMessage(method.input, request) }, options).many();
    case "client_streaming":
      return (requests: AsyncIterable<Init>, options?: CallOptions) => Call.streaming(transport, method, requests, options).single();
    case "bidi_streaming":
      return (requests: AsyncIterable<Init>, options?: CallOptions) => Call.streaming(transport, method, requests, options).many();
  }
}

class Call {
  private readonly replies: ReplyStream;
  private readonly deadline: number | undefined;
  private readonly stopOnAbort: (() => void) | undefined;
  private done = false;

  constructor(
    transport: CallTransport,
    readonly method: DescMethod,
    body: Pick<CallEnvelope, "request" | "requests">,
    private readonly options: CallOptions | undefined,
  ) {
    const timeoutMs = options?.timeoutMs;
    this.deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    this.replies = options?.signal?.aborted
      ? NOT_SENT
      : transport.start(method, (reply) => ({ method: method.name, ...body, reply, timeoutMs }));
    const signal = options?.signal;
    if (signal !== undefined) {
      const onAbort = () => this.finish();
      signal.addEventListener("abort", onAbort, { once: true });
      this.stopOnAbort = () => signal.removeEventListener("abort", onAbort);
    }
  }

  /** Client and bidi streaming: requests flow over a channel of their own, moved with the call. */
  static streaming(transport: CallTransport, method: DescMethod, requests: AsyncIterable<Init>, options?: CallOptions): Call {
    const [tx, rx] = channel(BytesChannel);
    const call = new Call(transport, method, { requests: rx }, options);
    void (async () => {
      try {
        for await (const r of requests) {
          if (call.done) break;
          if (!tx.send(encodeMessage(method.input, r))) await tx.ready();
        }
      } catch {
        // The handler stopped reading (or the call ended): nothing more to send.
      } finally {
        tx.close();
      }
    })();
    return call;
  }

  /** A one-way call: resolves once handed over; the handler runs on its own. */
  async handedOver(): Promise<Message> {
    if (this.options?.signal?.aborted) throw this.cancelled();
    return decodeMessage(this.method.output, new Uint8Array(0));
  }

  async single(): Promise<Message> {
    try {
      const first = await this.next();
      if ("end" in first) throw new RpcError("internal", `${this.method.name}: the handler ended without a response`);
      const response = decodeMessage(this.method.output, first.ok);
      // Read through to the end, so that finishing early always means cancelling.
      if (!("end" in (await this.next()))) throw new RpcError("internal", `${this.method.name}: more than one response`);
      return response;
    } finally {
      this.finish();
    }
  }

  async *many(): AsyncGenerator<Message> {
    try {
      for (;;) {
        const frame = await this.next();
        if ("end" in frame) return;
        yield decodeMessage(this.method.output, frame.ok);
      }
    } finally {
      this.finish();
    }
  }

  private async next(): Promise<Extract<ReplyFrame, { ok: unknown } | { end: unknown }>> {
    const signal = this.options?.signal;
    if (signal?.aborted) throw this.cancelled();
    const timeoutMs = this.deadline === undefined ? undefined : Math.max(0, this.deadline - Date.now());
    let frame: ReplyFrame;
    try {
      frame = await this.replies.next({ timeoutMs, signal });
    } catch (err) {
      // Only our own wait ends at the deadline; a TimeoutError from the transport (a worker
      // set's own call limit) keeps its message.
      if (err instanceof TimeoutError && this.deadline !== undefined && Date.now() >= this.deadline) throw this.deadlineExceeded();
      // The abort closed the replies before this wait heard of it.
      if (signal?.aborted) throw this.cancelled();
      throw err;
    }
    // Taken from the queue after the deadline (a busy event loop runs the timer late): too late all the same.
    if (this.deadline !== undefined && Date.now() > this.deadline) throw this.deadlineExceeded();
    if ("error" in frame) throw errorOf(frame);
    return frame;
  }

  private cancelled(): AbortedError {
    return new AbortedError(`${this.method.name} cancelled`, { cause: this.options?.signal?.reason });
  }

  private deadlineExceeded(): TimeoutError {
    return new TimeoutError(`${this.method.name} exceeded its deadline of ${this.options?.timeoutMs} ms`);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.stopOnAbort?.();
    this.replies.close();
  }
}
