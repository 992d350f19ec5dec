// The worker side of a WorkerSet: connect to the host named in the
// environment, hand it a sender of calls, and serve until the host closes it.
import type { DescService } from "@bufbuild/protobuf";
import { AddressError } from "../errors.js";
import { connect } from "../bootstrap/connect.js";
import { channel } from "../channel/channel.js";
import { defineCustomChannel, type ChannelType } from "../channel/channel-type.js";
import type { Codec } from "../codec/codec.js";
import { msgpackCodec } from "../codec/msgpack.js";
import type { Sender } from "../channel/sender.js";
import { CallChannel, type CallEnvelope } from "../rpc/envelope.js";
import { serve } from "../rpc/serve.js";
import type { ServiceImpl } from "../rpc/types.js";

/** The environment variable that carries the host's one-shot name to a worker. */
export const WORKER_ENV = "PROTOCHAN_WORKER";

export interface WorkerHello {
  readonly calls: Sender<CallEnvelope>;
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
  const hello = await connect(WorkerHelloChannel, name);
  hello.send({ calls, pid: process.pid });
  calls.close();
  hello.close();
  await serve(service, incoming, impl);
}
