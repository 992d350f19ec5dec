// Protobuf binary through @bufbuild/protobuf's reflective codec: works for every
// message; generated codecs (<file>_codec.ts) are byte-identical and faster.
// Its errors become ours: bad bytes a DecodeError, a bad value an EncodeError.
import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { Codec } from "./codec.js";
import { DecodeError, EncodeError } from "./binary/errors.js";

export function reflectiveCodec<Desc extends DescMessage>(schema: Desc): Codec<MessageShape<Desc>> {
  return {
    encode(value, out) {
      let bytes: Uint8Array;
      try {
        bytes = toBinary(schema, value);
      } catch (e) {
        throw new EncodeError(`${schema.typeName}: ${(e as Error).message}`, { cause: e });
      }
      out.bytes(bytes);
    },
    decode(bytes) {
      try {
        return fromBinary(schema, bytes);
      } catch (e) {
        throw new DecodeError("invalid-message", `${schema.typeName}: ${(e as Error).message}`, 0, { cause: e });
      }
    },
  };
}
