import { test } from "node:test";
import assert from "node:assert/strict";
import { FrameParser } from "../../src/wire/frame-parser.js";
import { HEADER_SIZE, Kind, Off, splitTypeId, writeHeader } from "../../src/wire/header.js";
import { typeIdOf } from "../../src/wire/type-id.js";
import { FrameTooLargeError, ProtocolError } from "../../src/errors.js";

const limits = { maxFrameSize: 1 << 20, maxHandles: 4 };
const type = splitTypeId(typeIdOf("example.v1.Ping"));

function frame(seq: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + body.length);
  writeHeader(new DataView(out.buffer), 0, Kind.Message, 3, body.length, seq, type);
  out.set(body, HEADER_SIZE);
  return out;
}

function stream(): Uint8Array {
  const parts = [frame(1, new Uint8Array([1, 2, 3])), frame(2, new Uint8Array(0)), frame(2 ** 40, new Uint8Array(300).fill(9))];
  return Buffer.concat(parts);
}

function collect(chunks: Uint8Array[]): { seq: number; body: number[]; route: number }[] {
  const out: { seq: number; body: number[]; route: number }[] = [];
  const parser = new FrameParser(limits, (h, _handles, body) => {
    assert.equal(h.kind, Kind.Message);
    assert.equal(h.typeLo, type.lo);
    assert.equal(h.typeHi, type.hi);
    out.push({ seq: h.seq, body: [...body], route: h.routeId });
  });
  for (const c of chunks) parser.push(c);
  assert.equal(parser.midFrame, false);
  return out;
}

test("frames split at every byte boundary parse the same as whole", () => {
  const bytes = stream();
  const whole = collect([bytes]);
  assert.deepEqual(
    whole.map((f) => f.seq),
    [1, 2, 2 ** 40],
  );
  assert.deepEqual(whole[0]!.body, [1, 2, 3]);
  for (let cut = 1; cut < bytes.length; cut++) {
    assert.deepEqual(collect([bytes.subarray(0, cut), bytes.subarray(cut)]), whole, `cut at ${cut}`);
  }
  // And byte by byte.
  assert.deepEqual(collect([...bytes].map((b) => new Uint8Array([b]))), whole);
});

test("body views are zero-copy when a frame arrives whole", () => {
  const bytes = frame(1, new Uint8Array([5, 6]));
  new FrameParser(limits, (_h, _handles, body) => assert.equal(body.buffer, bytes.buffer)).push(bytes);
});

test("an oversized length is refused from the header alone, before any allocation", () => {
  const header = frame(1, new Uint8Array(0));
  new DataView(header.buffer).setUint32(Off.bodyLength, 0xffffffff, true);
  const parser = new FrameParser(limits, () => assert.fail("no frame expected"));
  // Only the 40 header bytes are supplied: the error cannot depend on the body arriving.
  assert.throws(
    () => parser.push(header),
    (err: unknown) => err instanceof FrameTooLargeError && err.code === "FRAME_TOO_LARGE",
  );
});

test("too many handles, bad magic, bad version, unknown kind are protocol errors", () => {
  const cases: [number, number, "u16" | "u32", RegExp][] = [
    [Off.handleCount, 5, "u32", /5 handles, at most 4/],
    [Off.magic, 0x12345678, "u32", /wrong magic/],
    [Off.version, 9, "u16", /protocol version 9/],
    [Off.kind, 99, "u16", /unknown kind 99/],
    [Off.headerSize, 48, "u16", /header size 48/],
  ];
  for (const [offset, value, width, message] of cases) {
    const bytes = frame(1, new Uint8Array(4));
    const view = new DataView(bytes.buffer);
    if (width === "u16") view.setUint16(offset, value, true);
    else view.setUint32(offset, value, true);
    const parser = new FrameParser(limits, () => assert.fail("no frame expected"));
    assert.throws(
      () => parser.push(bytes),
      (err: unknown) => err instanceof ProtocolError && message.test(err.message),
    );
  }
});

test("random garbage never yields a frame and always throws a ProtocolError", () => {
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed & 0xff;
  };
  for (let i = 0; i < 200; i++) {
    const bytes = new Uint8Array(64 + (i % 50)).map(rand);
    const parser = new FrameParser(limits, () => assert.fail("garbage produced a frame"));
    assert.throws(() => parser.push(bytes), ProtocolError);
  }
});
