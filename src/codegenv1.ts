// protochan/codegenv1: the runtime that generated code calls. Users import
// "protochan"; the files protoc-gen-protochan writes import this entry, so the
// main entry stays small and this one can grow with the generator. The
// "v1" is the generator contract: a new generator that needs other helpers
// gets a new entry and old generated code keeps working.

// Channels of generated message types.
export { defineChannel, defineHandleChannel, type ChannelType } from "./codec/channel-type.js";
export { withHandleFields, type HandleField } from "./codec/handle-fields.js";
export type { WithHandles } from "./ends/sendable.js";
export { reflectiveCodec } from "./codec/protobuf.js";
export type { Sender } from "./ends/sender.js";
export type { Receiver } from "./ends/receiver.js";
// Protobuf binary codecs (<file>_codec.ts).
export type { MessageCodec } from "./codec/binary/message-codec.js";
export { ByteWriter } from "./wire/byte-writer.js";
export { ProtoReader } from "./codec/binary/reader.js";
export {
  writeBool,
  writeBytes,
  writeDouble,
  writeFixed32,
  writeFixed64,
  writeFloat,
  writeInt32,
  writeInt64,
  writeSfixed32,
  writeSfixed64,
  writeSint32,
  writeSint64,
  writeString,
  writeUint32,
  writeUint64,
} from "./codec/binary/write.js";
export { writeUnknown } from "./codec/binary/unknown.js";
export { setEntry } from "./codec/binary/map-entry.js";
export {
  readReflective,
  readWrapped,
  reflectiveMessageCodec,
  writeReflective,
  writeWrapped,
} from "./codec/binary/reflective.js";
// C-layout packet views (<file>_packet.ts).
export {
  PacketViewBase,
  type PacketLayout,
  type PacketMemberLayout,
  type PacketHandleSlot,
  type PacketNestedSlot,
} from "./packet/view.js";
export { PacketIO, checkInt, checkBigInt, type PacketScalar, type PacketScalar64 } from "./packet/io.js";
export { PacketRangeError } from "./packet/errors.js";
export { definePacketChannel } from "./packet/codec.js";
// Services (<file>_rpc.ts).
export type { Client, ServiceImpl } from "./rpc/types.js";
