// How a channel turns values into frame bodies and back. Codecs are chosen per
// channel type: protobuf binary (reflective or generated), msgpack for untyped
// channels, raw bytes, C-layout packets.
import type { ByteWriter } from "../wire/byte-writer.js";

export interface Codec<T> {
  /** Appends the encoding of value to out. */
  encode(value: T, out: ByteWriter): void;
  /**
   * Decodes one value. `bytes` is a view into a received frame; a codec may
   * keep sub-views of it (bytes fields, packet views) — they stay valid
   * because received frames are never reused.
   */
  decode(bytes: Uint8Array): T;
  /**
   * Optional: when the body is a value's own bytes (raw bytes, a packet
   * batch), returns them so a large body goes to the socket without a copy.
   */
  zeroCopyBody?(value: T): Uint8Array;
}
