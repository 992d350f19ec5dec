// The worker side of a WorkerSet: connect to the host named in the
// environment, hand it a sender of calls, and serve until the host closes it.
import type { DescService } from "@bufbuild/protobuf";
import { AddressError } from "../errors.js";
import { connect } from "../bootstrap/connect.js";
import { channel } from "../routing/channel.js";
import { defineCustomChannel, type ChannelType } from "../codec/channel-type.js";
import type { Codec } from "../codec/codec.js";
import { msgpackCodec } from "../codec/msgpack.js";
import type { Receiver } from "../ends/receiver.js";
import type { Sender } from "../ends/sender.js";
import { CallChannel, type CallEnvelope } from "../rpc/envelope.js";
import { RpcError } from "../rpc/errors.js";
import { serve } from "../rpc/serve.js";
import type { ServiceImpl } from "../rpc/types.js";

/** The environment variable that carries the host's one-shot name to a worker. */
export const WORKER_ENV = "PROTOCHAN_WORKER";

export interface WorkerHello {
  readonly calls: Sender<CallEnvelope>;
  /** One message each time a handler finishes (a cancelled call's handler too). */
  readonly finished: Receiver<unknown>;
  readonly pid: number;
}

export const WorkerHelloChannel: ChannelType<WorkerHello> = defineCustomChannel(
  "protochan.workers.Hello",
  msgpackCodec as Codec<WorkerHello>,
  true,
);

/** Serves `impl` for the WorkerSet that started this process; resolves when the host is done with it. */
export async function runWorker<S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>): Promise<void> {
  const name = process.env[WORKER_ENV];
  if (name === undefined) throw new AddressError(`runWorker: ${WORKER_ENV} is not set (start this program through a WorkerSet)`);
  const [calls, incoming] = channel(CallChannel);
  const [finished, finishedRx] = channel();
  const hello = await connect(WorkerHelloChannel, name);
  hello.send({ calls, finished: finishedRx, pid: process.pid });
  calls.close();
  hello.close();
  try {
    await serve(service, incoming, reportingEnds(service, impl, finished));
  } finally {
    finished.close();
  }
}

/**
 * `impl` with each handler telling the host when it is done: a cancelled
 * call's replies no longer reach the host, and only then may it give this
 * worker another call.
 */
function reportingEnds<S extends DescService>(
  service: S,
  impl: Partial<ServiceImpl<S>>,
  finished: Sender<unknown>,
): Partial<ServiceImpl<S>> {
  const done = () => {
    try {
      finished.send(0);
    } catch {
      // The host is gone: nobody to tell.
    }
  };
  const wrapped: Record<string, unknown> = {};
  for (const method of service.methods) {
    const handler = (impl as Record<string, Handler | undefined>)[method.localName] ?? unimplemented(service, method.name);
    wrapped[method.localName] = (input: unknown, ctx: unknown) => {
      let result: unknown;
      try {
        result = handler(input, ctx);
      } catch (err) {
        done();
        throw err;
      }
      if (isAsyncIterable(result)) return endsOf(result, done);
      void Promise.resolve(result).then(done, done);
      return result;
    };
  }
  return wrapped as Partial<ServiceImpl<S>>;
}

type Handler = (input: unknown, ctx: unknown) => unknown;

/** What serve() answers for a method without a handler, as a handler (so it reports its end too). */
function unimplemented(service: DescService, name: string): Handler {
  return () => {
    throw new RpcError("unimplemented", `${service.typeName} has no method ${name}`);
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

async function* endsOf(results: AsyncIterable<unknown>, done: () => void): AsyncGenerator<unknown> {
  try {
    yield* results;
  } finally {
    done();
  }
}
