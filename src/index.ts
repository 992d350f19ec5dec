// protochan: typed channels between processes. This entry holds what users
// call; what generated code needs is in "protochan/codegenv1".

// Channels and their ends.
export { channel, type ChannelOptions } from "./channel/channel.js";
export { AnyChannel, BytesChannel, defineCustomChannel, type ChannelSpec, type ChannelType } from "./channel/channel-type.js";
export type { Codec, HandleDecoder, HandleEncoder } from "./codec/codec.js";
export type { Sendable, WithHandles } from "./codec/handle-fields.js";
export { Sender } from "./channel/sender.js";
export { Receiver } from "./channel/receiver.js";
export { ReceiverSet, type Selection } from "./channel/receiver-set.js";
export type { WaitOptions } from "./channel/wait.js";
export type { ChannelLimits } from "./channel/defaults.js";
export { typeIdOf } from "./wire/type-id.js";
// Connecting processes.
export { OneShotServer, type Accepted, type ServerOptions } from "./bootstrap/one-shot-server.js";
export { Server, type ServerEvents } from "./bootstrap/server.js";
export { connect, type ConnectOptions } from "./bootstrap/connect.js";
export { registerTransport, type Listener, type Transport } from "./transport/transport.js";
// Errors: every error protochan throws is a ProtochanError with a `code`.
export * from "./errors.js";
export { DecodeError, EncodeError, type DecodeErrorReason } from "./codec/binary/errors.js";
// C-layout packets and packet streaming.
export { PacketBatch } from "./packet/batch.js";
export { PacketRangeError, PacketSizeError } from "./packet/errors.js";
export { HANDLE_NONE, type PacketViewClass } from "./packet/view.js";
export { packetCodec, packetBatchCodec } from "./packet/codec.js";
export {
  PacketServer, PacketConnection, type PacketServerOptions, type PacketServerTypedOptions, type PipeOptions, type PacketSource,
} from "./packet-stream/server.js";
export { PacketClient, type PacketClientOptions, type PacketClientTypedOptions } from "./packet-stream/client.js";
export { PacketDecodeError, PacketProducerLostError, type ProducerLostReason } from "./packet-stream/errors.js";
export { ReceivedBatch, PacketFormat, copyPacket } from "./packet-stream/format.js";
// Services and worker pools.
export type { CallOptions, Client, HandlerContext, ServiceImpl } from "./rpc/types.js";
export { RpcError, WorkerCrashedError, QueueFullError, WorkerSetClosedError } from "./rpc/errors.js";
export { createClient } from "./rpc/client.js";
export { serve } from "./rpc/serve.js";
export { listenService, connectService, type ServiceServer } from "./rpc/service-server.js";
export { WorkerSet, type WorkerSetOptions, type WorkerSetEvents } from "./workers/worker-set.js";
export { runWorker, WORKER_ENV } from "./workers/run-worker.js";
