// Fields whose message type has no generated codec here (types from other
// files such as google.protobuf.*, C-layout packets, protochan handles) and
// messages the generator does not handle natively go through
// @bufbuild/protobuf's reflective toBinary / fromBinary. These helpers give
// them the same shape as generated read/write functions.
import { create, fromBinary, mergeFromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { ByteWriter } from "../../wire/byte-writer.js";
import { DecodeError } from "./errors.js";
import { ProtoReader } from "./reader.js";
import type { MessageCodec } from "./message-codec.js";

/** Writes the body (no tag, no length) of a message with toBinary. */
export function writeReflective<Desc extends DescMessage>(schema: Desc, value: MessageShape<Desc>, w: ByteWriter): void {
  w.bytes(toBinary(schema, value));
}

/**
 * Reads a message body ending at `end` with fromBinary, or merges it into
 * `into` (a message field seen twice is merged, as fromBinary does).
 */
export function readReflective<Desc extends DescMessage>(
  schema: Desc,
  r: ProtoReader,
  end: number,
  into?: MessageShape<Desc>,
): MessageShape<Desc> {
  const body = r.buf.subarray(r.pos, end);
  r.pos = end;
  try {
    return into === undefined ? fromBinary(schema, body) : mergeFromBinary(schema, into, body);
  } catch (e) {
    throw new DecodeError("invalid-message", `${schema.typeName}: ${(e as Error).message}`, end - body.length, {
      cause: e,
    });
  }
}

/**
 * A google.protobuf wrapper (Int32Value, StringValue, ...) in a singular
 * field holds the bare value; it travels as a message with field 1.
 */
export function writeWrapped(schema: DescMessage, value: unknown, w: ByteWriter): void {
  w.bytes(toBinary(schema, create(schema, { value } as never)));
}

export function readWrapped<V>(schema: DescMessage, r: ProtoReader, end: number, into: V | undefined): V {
  const init = into === undefined ? undefined : create(schema, { value: into } as never);
  return (readReflective(schema, r, end, init) as unknown as { value: V }).value;
}

/** A MessageCodec for messages the generator leaves to `@bufbuild/protobuf`. */
export function reflectiveMessageCodec<Desc extends DescMessage>(schema: Desc): MessageCodec<MessageShape<Desc>> {
  return {
    encode: (value, w) => writeReflective(schema, value, w),
    decode: (bytes) => readReflective(schema, new ProtoReader(bytes), bytes.length),
    read: (r, end, into) => readReflective(schema, r, end, into),
  };
}
