// protochan: typed channels between processes. This entry holds what users
// call; what generated code needs is in "protochan/codegenv1".

// Channels and their ends.
export { channel, type ChannelOptions } from "./routing/channel.js";
export { AnyChannel, BytesChannel, defineCustomChannel, type ChannelSpec, type ChannelType } from "./codec/channel-type.js";
export type { Codec, HandleDecoder, HandleEncoder } from "./codec/codec.js";
export { ByteWriter } from "./wire/byte-writer.js";
export type { Sendable, WithHandles } from "./ends/sendable.js";
export { Sender } from "./ends/sender.js";
export { Receiver } from "./ends/receiver.js";
export { ReceiverSet, type Selection } from "./ends/receiver-set.js";
export type { WaitOptions } from "./ends/wait.js";
export type { ChannelLimits } from "./routing/defaults.js";
export { typeIdOf } from "./wire/type-id.js";
export type { TypeIdHalves } from "./wire/header.js";
// Connecting processes.
export { OneShotServer, type Accepted, type ServerOptions } from "./bootstrap/one-shot-server.js";
export { Server, type ServerEvents } from "./bootstrap/server.js";
export { connect, type ConnectOptions } from "./bootstrap/connect.js";
export type { LayoutShape, SchemaChange, SchemaDifference } from "./codec/schema-description.js";
export { setDialPolicy } from "./bootstrap/net-router.js";
export {
  registerTransport,
  type Listener,
  type SecurityOptions,
  type Transport,
  type TransportOptions,
} from "./transport/transport.js";
export type { PemSource, TlsOptions } from "./transport/tls-options.js";
// Errors: every error protochan throws is a ProtochanError with a `code`.
export * from "./errors.js";
export { DecodeError, EncodeError, type DecodeErrorReason } from "./codec/binary/errors.js";
// C-layout packets and packet streaming.
export { PacketBatch } from "./packet/batch.js";
export { PacketRangeError, PacketSizeError } from "./packet/errors.js";
export {
  HANDLE_NONE,
  type PacketViewBase,
  type PacketViewClass,
  type PacketLayout,
  type PacketMemberLayout,
  type PacketHandleSlot,
  type PacketNestedSlot,
} from "./packet/view.js";
export { packetCodec, packetBatchCodec } from "./packet/codec.js";
export {
  PacketServer,
  PacketConnection,
  type PacketServerOptions,
  type PacketServerTypedOptions,
  type PipeOptions,
  type PacketSource,
} from "./packet-stream/server.js";
export { PacketClient, type PacketClientOptions, type PacketClientTypedOptions } from "./packet-stream/client.js";
export { PacketDecodeError, PacketProducerLostError, type ProducerLostReason } from "./packet-stream/errors.js";
export { ReceivedBatch, copyPacket, type RecordLayoutChoice } from "./packet-stream/format.js";
export type { DefaultPacket } from "./packet-stream/default-type.js";
// The built-in packet type (protochan.v1.Packet, laid out like a pcap record).
export { PacketView, PacketPacketChannel, type PacketObject } from "../generated/protochan/v1/packet_packet.js";
// Services and worker pools.
export type { CallOptions, Client, ClientMethod, HandlerContext, HandlerMethod, ServiceImpl } from "./rpc/types.js";
export type { CallTransport, ReplyStream } from "./rpc/transport.js";
export {
  RpcError,
  RPC_CODES,
  isRpcCode,
  rpcCodeOf,
  WorkerCrashedError,
  QueueFullError,
  WorkerSetClosedError,
  type RpcCode,
  type RawDetail,
  type DetailInit,
  type OutgoingDetail,
  type RpcErrorDetail,
} from "./rpc/errors.js";
export { createClient } from "./rpc/client.js";
export { serve } from "./rpc/serve.js";
export { listenService, connectService, type ServiceServer, type ServiceConnection } from "./rpc/service-server.js";
export { CallChannel, type CallEnvelope, type EncodedDetail, type ReplyFrame } from "./rpc/envelope.js";
export { WorkerSet, type WorkerSetOptions, type WorkerSetEvents } from "./workers/worker-set.js";
export { runWorker, WORKER_ENV } from "./workers/run-worker.js";
