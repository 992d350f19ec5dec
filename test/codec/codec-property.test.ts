// Generated codecs against @bufbuild/protobuf: for random messages of every
// example.v1 type, encode gives the bytes toBinary gives, and decode gives the
// message fromBinary gives (equals() and a structural deep-equal, so the set of
// properties matches too). Random, truncated and corrupted inputs either decode
// like fromBinary or throw DecodeError.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { equals, fromBinary, toBinary, type DescMessage, type Message } from "@bufbuild/protobuf";
import { ByteWriter, type MessageCodec } from "protochan/codegenv1";
import { DecodeError } from "protochan";
import * as examplePb from "../../generated/example/v1/example_pb.js";
import * as exampleCodec from "../../generated/example/v1/example_codec.js";
import * as allTypesPb from "../../generated/example/v1/all_types_pb.js";
import * as allTypesCodec from "../../generated/example/v1/all_types_codec.js";
import * as legacyPb from "../../generated/example/v1/legacy_pb.js";
import * as legacyCodec from "../../generated/example/v1/legacy_codec.js";
import { messageArb } from "./arbitrary.js";

interface Pair {
  readonly schema: DescMessage;
  readonly codec: MessageCodec<Message>;
}

function pairs(pb: Record<string, unknown>, codecs: Record<string, unknown>): Pair[] {
  const out: Pair[] = [];
  for (const [name, value] of Object.entries(pb)) {
    if (!name.endsWith("Schema") || (value as { kind?: string }).kind !== "message") continue;
    const codec = codecs[`${name.slice(0, -"Schema".length)}Codec`];
    assert.ok(codec, `no codec for ${name}`);
    out.push({ schema: value as DescMessage, codec: codec as MessageCodec<Message> });
  }
  return out;
}

const all = [
  ...pairs(examplePb, exampleCodec),
  ...pairs(allTypesPb, allTypesCodec),
  ...pairs(legacyPb, legacyCodec), // proto2: the reflective fallback
];
const NUM_RUNS = 300;

function encode(codec: MessageCodec<Message>, message: Message): Uint8Array {
  const w = new ByteWriter(64);
  codec.encode(message, w);
  return w.take();
}

/**
 * fromBinary's result and ours must be the same message, property for
 * property. equals() treats NaN as unequal to itself, so it must say of ours
 * what it says of a second fromBinary result.
 */
function assertSameMessage(schema: DescMessage, ours: Message, bytes: Uint8Array): void {
  const theirs = fromBinary(schema, bytes);
  assert.equal(equals(schema, ours, theirs), equals(schema, fromBinary(schema, bytes), theirs), `equals() differs for ${schema.typeName}`);
  assert.deepStrictEqual(ours, theirs);
}

/** Decoding arbitrary bytes: the same as fromBinary, or a DecodeError. */
function decodesLikeReflective({ schema, codec }: Pair, bytes: Uint8Array): void {
  let ours: Message;
  try {
    ours = codec.decode(bytes);
  } catch (e) {
    assert.ok(e instanceof DecodeError, `decode threw a non-DecodeError: ${String(e)}`);
    assert.equal(e.code, "DECODE_ERROR");
    return;
  }
  assertSameMessage(schema, ours, bytes);
}

test("every example.v1 message type has a generated codec", () => {
  assert.ok(all.length >= 9, `only ${all.length} message types found`);
});

for (const pair of all) {
  const { schema, codec } = pair;

  test(`${schema.typeName}: encode === toBinary, decode === fromBinary`, () => {
    fc.assert(
      fc.property(messageArb(schema), (message) => {
        const expected = toBinary(schema, message);
        assert.deepStrictEqual(encode(codec, message), expected);
        assertSameMessage(schema, codec.decode(expected), expected);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test(`${schema.typeName}: two encodings back to back merge like fromBinary`, () => {
    // Concatenation is a merge: repeated fields append, message fields (and
    // oneof message cases, wrappers) merge, map keys and scalars overwrite.
    fc.assert(
      fc.property(messageArb(schema, 1), messageArb(schema, 1), (a, b) => {
        const first = toBinary(schema, a);
        const both = new Uint8Array([...first, ...toBinary(schema, b)]);
        assertSameMessage(schema, codec.decode(both), both);
      }),
      { numRuns: NUM_RUNS / 3 },
    );
  });

  test(`${schema.typeName}: random bytes decode like fromBinary or throw DecodeError`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => decodesLikeReflective(pair, bytes)),
      {
        numRuns: NUM_RUNS,
      },
    );
  });

  test(`${schema.typeName}: truncated and corrupted encodings decode like fromBinary or throw`, () => {
    const corrupted = fc.tuple(messageArb(schema, 1), fc.nat(), fc.nat(255), fc.boolean()).map(([message, at, byte, truncate]) => {
      const bytes = toBinary(schema, message);
      if (bytes.length === 0) return bytes;
      const i = at % bytes.length;
      if (truncate) return bytes.subarray(0, i);
      const copy = bytes.slice();
      copy[i] = byte;
      return copy;
    });
    fc.assert(
      fc.property(corrupted, (bytes) => decodesLikeReflective(pair, bytes)),
      { numRuns: NUM_RUNS },
    );
  });
}
