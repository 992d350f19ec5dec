// Untyped channels: any structured-clone-like value, encoded with msgpackr.
import { Packr, Unpackr } from "msgpackr";
import type { Codec } from "./codec.js";

const packr = new Packr({ useRecords: false, moreTypes: true });
const unpackr = new Unpackr({ useRecords: false, moreTypes: true });

export const msgpackCodec: Codec<unknown> = {
  encode(value, out) {
    out.bytes(packr.pack(value));
  },
  decode(bytes) {
    return unpackr.unpack(bytes);
  },
};
