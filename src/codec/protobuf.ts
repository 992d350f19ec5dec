// Protobuf binary through @bufbuild/protobuf's reflective codec: works for every
// message; generated codecs (<file>_codec.ts) are byte-identical and faster.
import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { Codec } from "./codec.js";

export function reflectiveCodec<Desc extends DescMessage>(schema: Desc): Codec<MessageShape<Desc>> {
  return {
    encode(value, out) {
      out.bytes(toBinary(schema, value));
    },
    decode(bytes) {
      return fromBinary(schema, bytes);
    },
  };
}
