// The codec generated per protobuf message (<file>_codec.ts). Besides the
// channel Codec methods it can read a message embedded in a larger input,
// which is how generated codecs of different files call each other.
import type { Codec } from "../codec.js";
import type { ProtoReader } from "./reader.js";

export interface MessageCodec<T> extends Codec<T> {
  /**
   * Reads a message body from `r` up to `end`. With `into`, fields are
   * merged into that message (as fromBinary does for a message field that
   * occurs twice).
   */
  read(r: ProtoReader, end: number, into?: T): T;
}
