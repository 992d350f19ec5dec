// Packet channels: the frame body is the raw C struct, so a C peer reads it
// with a cast and a TypeScript receiver gets a zero-copy view of the frame.
import type { Codec } from "../codec/codec.js";
import { defineLayoutChannel, type ChannelType } from "../codec/channel-type.js";
import { PacketBatch } from "./batch.js";
import { PacketSizeError } from "./errors.js";
import { wrapPacket, type PacketViewBase, type PacketViewClass } from "./view.js";

/** Encodes a packet as its layout.size bytes; decodes with wrap() (no copy). */
export function packetCodec<V extends PacketViewBase>(type: PacketViewClass<V>): Codec<V> {
  const { size, typeName } = type.layout;
  return {
    encode(value, out) {
      if (value.bytes.length !== size) {
        throw new PacketSizeError(`${typeName}: a packet is ${size} bytes, this view has ${value.bytes.length}`);
      }
      out.bytes(value.bytes);
    },
    decode(bytes) {
      return wrapPacket(type, bytes);
    },
  };
}

/** Encodes a batch as its packets back to back; decodes without copying. */
export function packetBatchCodec<V extends PacketViewBase>(type: PacketViewClass<V>): Codec<PacketBatch<V>> {
  return {
    encode(value, out) {
      out.bytes(value.bytes);
    },
    decode(bytes) {
      return new PacketBatch(type, bytes);
    },
  };
}

/**
 * A channel of single packets, named by the message's full type name, so its
 * wire type id is the header's <cName>_TYPE_ID.
 */
export function definePacketChannel<V extends PacketViewBase>(type: PacketViewClass<V>): ChannelType<V> {
  return defineLayoutChannel(type.layout.typeName, packetCodec(type), type.layout);
}
