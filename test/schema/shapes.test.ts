// The shapes compared by schema negotiation, and the rules that classify a
// pair (buf's WIRE category), checked on their own.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProtocolError, ResourceLimitError, SchemaMismatchError } from "../../src/errors.js";
import { compareShapes, decodeShapes, encodeShapes, shapeOf, shapeOfLayout, type TypeShape } from "../../src/codec/schema-description.js";
import { SchemaNegotiation, MAX_SCHEMA_BYTES_PER_CONNECTION } from "../../src/connection/schema-negotiation.js";
import { AllTypesSchema } from "../../generated/example/v1/all_types_pb.js";
import { QuestionSchema } from "../../generated/example/v1/requests_pb.js";

/** A shape of `a.M` with one field 1 named `f`, of `label` and `type` (and a.Sub, a.Other for message types). */
function one(type: string, label = "", key?: string): TypeShape {
  const field = key === undefined ? [1, "f", label, type] : [1, "f", label, type, key];
  const messages = { "a.M": [field], "a.Sub": [[1, "x", "", "int32"]], "a.Other": [] };
  return decodeShapes(new TextEncoder().encode(JSON.stringify({ types: ["a.M"], messages })))[0]!;
}

test("shapes: a generated type's closure, with maps, optionals, enums, and handle fields by payload name", () => {
  const all = shapeOf(AllTypesSchema);
  assert.deepEqual([...all.messages.keys()].sort(), [
    "example.v1.AllTypes",
    "example.v1.Inner",
    "example.v1.Inner.Leaf",
    "example.v1.Point",
    "google.protobuf.Int32Value",
    "google.protobuf.StringValue",
    "google.protobuf.Timestamp",
  ]);
  const fields = new Map(all.messages.get("example.v1.AllTypes")!.map((f) => [f.name, f]));
  assert.deepEqual(fields.get("m_int64_message"), {
    no: 52,
    name: "m_int64_message",
    label: "map",
    key: "int64",
    type: "message example.v1.Inner",
  });
  assert.deepEqual(fields.get("o_enum"), { no: 22, name: "o_enum", label: "optional", type: "enum example.v1.Color" });
  assert.deepEqual(fields.get("r_string"), { no: 38, name: "r_string", label: "repeated", type: "string" });
  const question = shapeOf(QuestionSchema);
  assert.deepEqual([...question.messages.keys()], ["example.v1.Question"], "a handle's payload is not pulled in");
  assert.equal(question.messages.get("example.v1.Question")!.find((f) => f.name === "reply")!.type, "sender example.v1.Answer");
  // What travels decodes to the same shape.
  const [back] = decodeShapes(encodeShapes([all]));
  assert.equal(back!.digest, all.digest);
  assert.deepEqual(compareShapes(all, back!), []);
});

/** [here, peer, here's label, peer's label, whether the wire tolerates it] */
const RULES: [string, string, string, string, boolean][] = [
  ["int32", "uint64", "", "", true],
  ["bool", "int64", "", "", true],
  ["enum a.E", "int32", "", "", true],
  ["enum a.E", "enum a.F", "", "", true],
  ["sint32", "sint64", "", "", true],
  ["fixed32", "sfixed32", "", "", true],
  ["fixed64", "sfixed64", "", "", true],
  ["string", "bytes", "", "", true],
  ["string", "string", "", "optional", true],
  ["string", "string", "", "repeated", true],
  ["message a.Sub", "message a.Sub", "", "repeated", true],
  ["uint64", "string", "", "", false],
  ["int32", "sint32", "", "", false],
  ["fixed32", "float", "", "", false],
  ["double", "fixed64", "", "", false],
  ["message a.Sub", "message a.Other", "", "", false],
  ["message a.Sub", "bytes", "", "", false],
  ["sender a.Sub", "sender a.Other", "", "", false],
  ["sender a.Sub", "receiver a.Sub", "", "", false],
  ["int32", "int32", "", "repeated", false],
  ["string", "string", "map", "repeated", false],
];

test("shapes: changes within a wire class are tolerated and reported, from this side; others are refused", () => {
  for (const [a, b, la, lb, tolerated] of RULES) {
    const here = la === "" ? a : la === "map" ? `map<string, ${a}>` : `${la} ${a}`;
    const peer = lb === "" ? b : `${lb} ${b}`;
    const mine = one(a, la, la === "map" ? "string" : undefined);
    if (tolerated) {
      assert.deepEqual(
        compareShapes(mine, one(b, lb)).map((c) => c.text),
        [`a.M.f: ${here} here, ${peer} at the peer`],
      );
    } else {
      assert.throws(
        () => compareShapes(mine, one(b, lb)),
        (err: unknown) =>
          err instanceof SchemaMismatchError &&
          err.code === "SCHEMA_MISMATCH" &&
          err.typeName === "a.M" &&
          err.field === "f" &&
          err.here === here,
        `${here} vs ${peer}`,
      );
    }
  }
  assert.deepEqual(compareShapes(one("int32"), one("int32")), [], "identical: nothing to report");
  assert.throws(() => compareShapes(one("string", "map", "string"), one("string", "map", "sint32")), SchemaMismatchError);
});

test("shapes: nested messages are compared through fields of the same message type; added and removed fields are reported", () => {
  const body = (sub: unknown[]) =>
    new TextEncoder().encode(JSON.stringify({ types: ["a.M"], messages: { "a.M": [[1, "s", "", "message a.Sub"]], "a.Sub": sub } }));
  const [here] = decodeShapes(
    body([
      [1, "x", "", "int32"],
      [2, "gone", "", "bool"],
    ]),
  );
  const [peer] = decodeShapes(
    body([
      [1, "x", "", "int32"],
      [3, "new", "", "string"],
    ]),
  );
  assert.deepEqual(
    compareShapes(here!, peer!).map((c) => c.text),
    ["a.Sub.gone: bool here, absent at the peer", "a.Sub.new: absent here, string at the peer"],
  );
  const [retyped] = decodeShapes(body([[1, "x", "", "string"]]));
  assert.throws(() => compareShapes(here!, retyped!), /schema mismatch: a\.Sub\.x: int32 here, string at the peer/);
});

test("shapes: malformed descriptions are protocol errors", () => {
  const bad = (v: unknown) => () => decodeShapes(new TextEncoder().encode(JSON.stringify(v)));
  const errors: [unknown, RegExp][] = [
    [[], /expected \{types, messages\}/],
    [{ types: ["a.M"], messages: {} }, /type a\.M is not described/],
    [{ types: [], messages: { "a.M": [[0, "f", "", "int32"]] } }, /bad field number/],
    [{ types: [], messages: { "a.M": [[1, "f", "", "int33"]] } }, /a\.M\.f: bad type/],
    [{ types: [], messages: { "a.M": [[1, "f", "sometimes", "int32"]] } }, /a\.M\.f: bad label/],
    [{ types: [], messages: { "a.M": [[1, "f", "map", "int32"]] } }, /bad map key/],
    [{ types: [], messages: { "bad name!": [] } }, /bad message name/],
  ];
  for (const [value, message] of errors)
    assert.throws(bad(value), (err: unknown) => err instanceof ProtocolError && message.test(err.message));
  assert.throws(() => decodeShapes(new Uint8Array([0xff, 0xfe])), /not UTF-8 JSON/);
});

test("shapes: a connection takes at most 4 MiB of descriptions from its peer", () => {
  const negotiation = new SchemaNegotiation(
    () => {},
    () => {},
  );
  const body = new TextEncoder().encode(JSON.stringify({ types: [], messages: {}, pad: "x".repeat(1000 * 1000) }));
  let taken = 0;
  assert.throws(
    () => {
      for (;;) {
        negotiation.receive(body);
        taken += body.length;
      }
    },
    (err: unknown) => err instanceof ResourceLimitError && err.limit === "maxSchemaBytes",
  );
  assert.ok(taken <= MAX_SCHEMA_BYTES_PER_CONNECTION && taken + body.length > MAX_SCHEMA_BYTES_PER_CONNECTION);
});

test("shapes: C layouts match up to the shorter struct; growing needs a layout_version bump", () => {
  const v1 = { layoutVersion: 1, size: 8, members: [m("x", 0, 4), m("y", 4, 4)] };
  const appended = { layoutVersion: 2, size: 12, members: [m("x", 0, 4), m("y", 4, 4), m("z", 8, 4)] };
  const shape = (l: typeof v1) => decodeShapes(encodeShapes([shapeOfLayout("a.P", l)]))[0]!;
  assert.deepEqual(compareShapes(shape(v1), shape(v1)), []);
  assert.deepEqual(
    compareShapes(shape(v1), shape(appended)).map((c) => c.text),
    ["a.P.z: absent here, 4 bytes at offset 8 at the peer"],
  );
  assert.throws(
    () => compareShapes(shape(v1), shape({ ...appended, layoutVersion: 1 })),
    /a\.P\.\(size\): 8 bytes at layout_version 1 here, 12 bytes at the same layout_version at the peer/,
  );
  assert.throws(
    () => compareShapes(shape(v1), shape({ layoutVersion: 1, size: 8, members: [m("y", 0, 4), m("x", 4, 4)] })),
    /schema mismatch: a\.P\.x: 4 bytes at offset 0 here, y \(4 bytes at offset 0\) at the peer/,
  );
  assert.throws(
    () => compareShapes(shape(v1), shape({ layoutVersion: 2, size: 12, members: [m("x", 0, 8), m("y", 8, 4)] })),
    /a\.P\.x: 4 bytes at offset 0 here, 8 bytes at offset 0 at the peer/,
  );
  assert.throws(() => compareShapes(shape(v1), one("int32")), /C layout here, protobuf at the peer/);
});

function m(name: string, offset: number, size: number) {
  return { name, offset, size };
}
