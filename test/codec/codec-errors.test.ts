// Bad input gives a DecodeError with a stable code and a reason, never a hang,
// a crash or an allocation sized by an unchecked length.
import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { DecodeError, type DecodeErrorReason } from "protochan";
import { TelemetryCodec, PingCodec } from "../../generated/example/v1/example_codec.js";
import { AllTypesCodec } from "../../generated/example/v1/all_types_codec.js";
import { AllTypesSchema } from "../../generated/example/v1/all_types_pb.js";

function assertDecodeError(fn: () => unknown, reason: DecodeErrorReason): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DecodeError, `not a DecodeError: ${String(e)}`);
    assert.equal(e.code, "DECODE_ERROR");
    assert.equal(e.reason, reason, e.message);
    return true;
  });
}

test("truncated varint, fixed and length-delimited values", () => {
  assertDecodeError(() => TelemetryCodec.decode(Uint8Array.of(0x08, 0x80)), "truncated"); // id: varint cut
  assertDecodeError(() => TelemetryCodec.decode(Uint8Array.of(0x21, 1, 2, 3)), "truncated"); // value: double cut
  assertDecodeError(() => PingCodec.decode(Uint8Array.of(0x12, 5, 0x61)), "truncated"); // text: 5 bytes announced
  assertDecodeError(() => PingCodec.decode(Uint8Array.of(0x12)), "truncated"); // no length at all
});

test("a huge length prefix fails before any allocation", () => {
  // payload: length 0xffffffff, then nothing.
  assertDecodeError(() => PingCodec.decode(Uint8Array.of(0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f)), "truncated");
});

test("varints longer than 10 bytes, and tags longer than 32 bits", () => {
  assertDecodeError(() => PingCodec.decode(Uint8Array.of(0x08, ...new Array(11).fill(0xff), 0x01)), "varint-too-long");
  assertDecodeError(() => PingCodec.decode(Uint8Array.of(0x88, 0x80, 0x80, 0x80, 0x80, 0x01)), "varint-too-long");
});

test("invalid tags: field 0 and wire types 6, 7", () => {
  assertDecodeError(() => PingCodec.decode(Uint8Array.of(0x00)), "invalid-tag");
  assertDecodeError(() => PingCodec.decode(Uint8Array.of(0x0e)), "invalid-tag");
  assertDecodeError(() => PingCodec.decode(Uint8Array.of(0x0f)), "invalid-tag");
});

test("a known field with the wrong wire type", () => {
  assertDecodeError(() => PingCodec.decode(Uint8Array.of(0x0a, 0)), "wrong-wire-type"); // seq as LEN
  assertDecodeError(() => PingCodec.decode(Uint8Array.of(0x10, 1)), "wrong-wire-type"); // text as varint
});

test("a nested message that overruns its length", () => {
  // origin (9): length 2, but a double (9 bytes) inside.
  assertDecodeError(() => TelemetryCodec.decode(Uint8Array.of(0x4a, 2, 0x09, 0, 0, 0, 0, 0, 0, 0, 0)), "length-mismatch");
});

test("invalid UTF-8 in a proto3 string", () => {
  assertDecodeError(() => PingCodec.decode(Uint8Array.of(0x12, 2, 0xc3, 0x28)), "invalid-utf8");
});

test("unbalanced groups in unknown fields", () => {
  assertDecodeError(() => PingCodec.decode(Uint8Array.of(0x24)), "invalid-group"); // end group 4 alone
  assertDecodeError(() => PingCodec.decode(Uint8Array.of(0x23, 0x2c)), "invalid-group"); // start 4, end 5
  assertDecodeError(() => PingCodec.decode(Uint8Array.of(0x23)), "truncated"); // start 4, no end
});

test("nesting deeper than 100 is rejected", () => {
  let m = create(AllTypesSchema);
  for (let i = 0; i < 100; i++) m = create(AllTypesSchema, { child: m });
  const bytes = toBinary(AllTypesSchema, m); // 101 levels
  assertDecodeError(() => AllTypesCodec.decode(bytes), "recursion-limit");
  assert.ok(AllTypesCodec.decode(toBinary(AllTypesSchema, m.child!)));
});
