// Bytes channels: the body is the Uint8Array itself.
import type { Codec } from "./codec.js";

export const bytesCodec: Codec<Uint8Array> = {
  encode(value, out) {
    out.bytes(value);
  },
  decode(bytes) {
    return bytes;
  },
  zeroCopyBody(value) {
    return value;
  },
};
