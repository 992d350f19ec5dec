// C-layout packets: zero-copy views, batches, codecs and channels.
export {
  PacketViewBase,
  HANDLE_NONE,
  wrapPacket,
  handleOffsets,
  type PacketLayout,
  type PacketMemberLayout,
  type PacketViewClass,
  type PacketHandleSlot,
  type PacketNestedSlot,
} from "./view.js";
export { PacketBatch } from "./batch.js";
export { PacketRangeError, PacketSizeError } from "./errors.js";
export { PacketIO, checkInt, checkBigInt, type PacketScalar, type PacketScalar64 } from "./io.js";
export { packetCodec, packetBatchCodec, definePacketChannel } from "./codec.js";
