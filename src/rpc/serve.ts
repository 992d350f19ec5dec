// serve(): runs a service implementation on a receiver of calls. Calls run
// concurrently; each handler gets an AbortSignal that fires when the caller
// cancels (closes its reply channel), goes away, or the deadline passes.
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { AbortedError, DisconnectedError, TimeoutError } from "../errors.js";
import type { Receiver } from "../ends/receiver.js";
import type { Sender } from "../ends/sender.js";
import { decodeMessage, encodeMessage, errorFrame, type CallEnvelope, type ReplyFrame } from "./envelope.js";
import type { HandlerContext, ServiceImpl } from "./types.js";

type AnyHandler = (input: unknown, ctx: HandlerContext) => unknown;

/**
 * Serves calls from `calls` until it disconnects (the caller closed it or its
 * process went away: both are a normal end for a server). Methods missing
 * from `impl` answer UNIMPLEMENTED.
 */
export async function serve<S extends DescService>(
  service: S,
  calls: Receiver<CallEnvelope>,
  impl: Partial<ServiceImpl<S>>,
): Promise<void> {
  const byName = new Map(service.methods.map((m) => [m.name, m]));
  const running = new Set<Promise<void>>();
  for (;;) {
    let call: CallEnvelope;
    try {
      call = await calls.recv();
    } catch (err) {
      if (err instanceof DisconnectedError) break;
      throw err;
    }
    const method = byName.get(call.method);
    const handler = method && (impl as Record<string, AnyHandler | undefined>)[method.localName];
    const done =
      method === undefined || handler === undefined
        ? refuse(call, `${service.typeName} has no method ${call.method}`)
        : handle(method, handler, call);
    running.add(done);
    void done.finally(() => running.delete(done));
  }
  await Promise.all(running);
}

async function refuse(call: CallEnvelope, message: string): Promise<void> {
  sendQuietly(call.reply, { error: { code: "unimplemented", message, details: [] } });
  call.reply.close();
  call.requests?.close();
}

async function handle(method: DescMethod, handler: AnyHandler, call: CallEnvelope): Promise<void> {
  const abort = new AbortController();
  void call.reply.receiverGone.then(() => abort.abort(new AbortedError("the caller cancelled or went away")));
  const timer =
    call.timeoutMs === undefined
      ? undefined
      : setTimeout(() => abort.abort(new TimeoutError(`deadline of ${call.timeoutMs} ms passed`)), call.timeoutMs);
  const ctx: HandlerContext = { signal: abort.signal, method };
  const reply = call.reply;
  try {
    const input =
      call.requests === undefined ? decodeMessage(method.input, call.request ?? new Uint8Array(0)) : requestsOf(method, call.requests);
    const result = handler(input, ctx);
    if (method.methodKind === "unary" || method.methodKind === "client_streaming") {
      await send(reply, { ok: encodeMessage(method.output, (await result) as object) });
    } else {
      for await (const out of result as AsyncIterable<object>) {
        if (abort.signal.aborted) break;
        await send(reply, { ok: encodeMessage(method.output, out) });
      }
    }
    sendQuietly(reply, { end: true });
  } catch (err) {
    sendQuietly(reply, errorFrame(err));
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    reply.close();
    call.requests?.close();
  }
}

async function* requestsOf(method: DescMethod, requests: Receiver<Uint8Array>): AsyncGenerator<unknown> {
  try {
    for await (const bytes of requests) yield decodeMessage(method.input, bytes);
  } catch (err) {
    // The caller's process went away mid-stream: the handler sees the end of its requests.
    if (!(err instanceof DisconnectedError)) throw err;
  }
}

async function send(reply: Sender<ReplyFrame>, frame: ReplyFrame): Promise<void> {
  if (!reply.send(frame)) await reply.ready();
}

/** For the last frames of a call: a caller that is gone needs nothing more. */
function sendQuietly(reply: Sender<ReplyFrame>, frame: ReplyFrame): void {
  try {
    reply.send(frame);
  } catch {
    // ReceiverGoneError: the caller left.
  }
}
