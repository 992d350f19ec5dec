// protochan runtime: typed channels between processes.
export type { Codec } from "./codec/codec.js";
export { ByteWriter } from "./wire/byte-writer.js";
export { typeIdOf } from "./wire/type-id.js";
export {
  AnyChannel,
  BytesChannel,
  defineChannel,
  defineCustomChannel,
  type ChannelSpec,
  type ChannelType,
} from "./channel/channel-type.js";
export * from "./errors.js";
export { channel, type ChannelOptions } from "./channel/channel.js";
export { Sender } from "./channel/sender.js";
export { Receiver } from "./channel/receiver.js";
export type { WaitOptions } from "./channel/wait.js";
export type { ChannelLimits } from "./channel/defaults.js";
export { OneShotServer, type Accepted, type ServerOptions } from "./bootstrap/one-shot-server.js";
export { connect, type ConnectOptions } from "./bootstrap/connect.js";
export { registerTransport, type Listener, type Transport } from "./transport/transport.js";
// Protobuf binary codecs: runtime of the generated <file>_codec.ts.
export { reflectiveCodec } from "./codec/protobuf.js";
export type { MessageCodec } from "./codec/binary/message-codec.js";
export { ProtoReader } from "./codec/binary/reader.js";
export { DecodeError, EncodeError, type DecodeErrorReason } from "./codec/binary/errors.js";
export {
  writeBool, writeBytes, writeDouble, writeFixed32, writeFixed64, writeFloat, writeInt32, writeInt64,
  writeSfixed32, writeSfixed64, writeSint32, writeSint64, writeString, writeUint32, writeUint64,
} from "./codec/binary/write.js";
export { writeUnknown } from "./codec/binary/unknown.js";
export { setEntry } from "./codec/binary/map-entry.js";
export {
  readReflective, readWrapped, reflectiveMessageCodec, writeReflective, writeWrapped,
} from "./codec/binary/reflective.js";
export * from "./packet/index.js";
export { ReceiverSet, type Selection } from "./channel/receiver-set.js";
export { withHandleFields, type HandleField, type WithHandles } from "./codec/handle-fields.js";
export { defineHandleChannel } from "./channel/channel-type.js";
// Packet streaming (src/packet-stream/): PacketServer, PacketClient, pipeFrom.
export * from "./packet-stream/index.js";
// Services and worker pools.
export type { CallOptions, Client, HandlerContext, ServiceImpl } from "./rpc/types.js";
export {
  RpcError, RPC_CODES, isRpcCode, rpcCodeOf, WorkerCrashedError, QueueFullError, WorkerSetClosedError,
  type RpcCode, type RawDetail, type DetailInit, type OutgoingDetail, type RpcErrorDetail,
} from "./rpc/errors.js";
export { createClient } from "./rpc/client.js";
export { serve } from "./rpc/serve.js";
export { listenService, connectService, type ServiceServer } from "./rpc/service-server.js";
export { CallChannel, type CallEnvelope, type ReplyFrame } from "./rpc/envelope.js";
export { Server, type ServerEvents } from "./bootstrap/server.js";
export { WorkerSet, type WorkerSetOptions, type WorkerSetEvents } from "./workers/worker-set.js";
export { runWorker, WORKER_ENV } from "./workers/run-worker.js";
