// Packet streaming: a producer streams batches of C-layout packets to one
// consumer process, with an explicit end, bounded buffering and pipeFrom().
export {
  PacketServer,
  PacketConnection,
  type PacketServerOptions,
  type PacketServerTypedOptions,
  type PipeOptions,
  type PacketSource,
} from "./server.js";
export { PacketClient, type PacketClientOptions, type PacketClientTypedOptions } from "./client.js";
export { PacketDecodeError, PacketProducerLostError, type ProducerLostReason } from "./errors.js";
export {
  ReceivedBatch,
  PacketFormat,
  copyPacket,
  trimPointOf,
  BATCH_MAGIC,
  BATCH_HEADER_SIZE,
  RECORD_HEADER_SIZE,
  StreamKind,
  RecordLayout,
  type RecordLayoutChoice,
  type TrimPoint,
  type DecodedMessage,
} from "./format.js";
// The default packet type (protochan.v1.Packet): a type only, as its module imports the runtime.
export type { DefaultPacket } from "./default-type.js";
export type { PacketObject, PacketView } from "../../generated/protochan/v1/packet_packet.js";
export { CONTROL_PREFIX, DATA_PREFIX, STREAM_VERSION } from "./channels.js";
