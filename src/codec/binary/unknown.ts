// Unknown fields ($unknown) are written back after the known fields, exactly
// as @bufbuild/protobuf's toBinary does.
import type { UnknownField } from "@bufbuild/protobuf";
import type { ByteWriter } from "../../wire/byte-writer.js";

export function writeUnknown(w: ByteWriter, fields: readonly UnknownField[]): void {
  for (let i = 0; i < fields.length; i++) {
    const { no, wireType, data } = fields[i]!;
    w.varint32(((no << 3) | wireType) >>> 0);
    w.bytes(data);
  }
}
