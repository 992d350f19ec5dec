// How a channel turns values into frame bodies and back. Codecs are chosen per
// channel type: protobuf binary (reflective or generated), msgpack for untyped
// channels, raw bytes, C-layout packets.
import type { ByteWriter } from "../wire/byte-writer.js";
import type { Sender } from "../ends/sender.js";
import type { Receiver } from "../ends/receiver.js";
import type { ChannelType } from "./channel-type.js";

/** While encoding: puts a channel end into the frame's handle table, returns its index. */
export interface HandleEncoder {
  sender(sender: Sender<unknown>): number;
  receiver(receiver: Receiver<unknown>): number;
}

/** While decoding: the channel end at an index of the frame's handle table (each index once). */
export interface HandleDecoder {
  sender<T>(index: number, type?: ChannelType<T>): Sender<T>;
  receiver<T>(index: number, type?: ChannelType<T>): Receiver<T>;
}

export interface Codec<T> {
  /** Appends the encoding of value to out; channel ends inside it go to `handles`. */
  encode(value: T, out: ByteWriter, handles?: HandleEncoder): void;
  /**
   * Decodes one value. `bytes` is a view into a received frame; a codec may
   * keep sub-views of it (bytes fields, packet views) — they stay valid
   * because received frames are never reused.
   */
  decode(bytes: Uint8Array, handles?: HandleDecoder): T;
  /**
   * Optional: when the body is a value's own bytes (raw bytes, a packet
   * batch), returns them so a large body goes to the socket without a copy.
   */
  zeroCopyBody?(value: T): Uint8Array;
}
