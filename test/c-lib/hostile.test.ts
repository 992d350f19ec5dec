// Hostile input to a C server built on the library (compiled with
// AddressSanitizer and UndefinedBehaviorSanitizer): raw bytes over the Unix
// socket, not a protochan client. Each bad frame is answered with an ERROR
// frame naming the problem and the connection closed, from the header alone
// where the header is what is wrong; the server goes on to serve the right
// client, or ends with a clean error, never a crash.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createConnection } from "node:net";
import { BytesChannel, connect } from "protochan";
import { encodeHello, WELCOME_SIZE } from "../../src/bootstrap/handshake.js";
import { parseName } from "../../src/transport/name.js";
import { HANDLE_ENTRY_SIZE, HEADER_SIZE, Kind, NO_TYPE, splitTypeId, writeHeader, type TypeIdHalves } from "../../src/wire/header.js";
import { typeIdOf } from "../../src/wire/type-id.js";
import { CPeer } from "../c-peer/c-peer.js";
import { buildSanitizedLibPeer } from "./messages.js";

const T = { timeout: 60_000 };
const exe = buildSanitizedLibPeer();
const BYTES = splitTypeId(typeIdOf("protochan.bytes"));

interface Frame {
  kind: number;
  routeId?: number;
  seq?: number;
  type?: TypeIdHalves;
  handles?: Uint8Array;
  handleCount?: number;
  bodyLength?: number;
  body?: Uint8Array;
}

/** One frame's bytes; bodyLength and handleCount may lie about what follows. */
function frame(f: Frame): Uint8Array {
  const handles = f.handles ?? new Uint8Array(0);
  const body = f.body ?? new Uint8Array(0);
  const out = new Uint8Array(HEADER_SIZE + handles.length + body.length);
  writeHeader(
    new DataView(out.buffer),
    0,
    f.kind as Kind,
    f.routeId ?? 0,
    f.bodyLength ?? body.length,
    f.seq ?? 0,
    f.type ?? NO_TYPE,
    f.handleCount ?? handles.length / HANDLE_ENTRY_SIZE,
  );
  out.set(handles, HEADER_SIZE);
  out.set(body, HEADER_SIZE + handles.length);
  return out;
}

function hello(name: string, type = BYTES): Uint8Array {
  const { token } = parseName(name);
  return frame({ kind: Kind.Hello, body: encodeHello({ type, token, node: new Uint8Array(16), window: 65536, maxFrameSize: 65536 }) });
}

/** Frames the server sent, parsed from everything it wrote until it closed. */
function framesIn(bytes: Buffer): { kind: number; body: Buffer }[] {
  const out: { kind: number; body: Buffer }[] = [];
  for (let at = 0; at + HEADER_SIZE <= bytes.length; ) {
    const length = bytes.readUInt32LE(at + 12);
    out.push({ kind: bytes.readUInt16LE(at + 8), body: bytes.subarray(at + HEADER_SIZE, at + HEADER_SIZE + length) });
    at += HEADER_SIZE + length;
  }
  return out;
}

/** Connects to the C server's socket, writes `bytes` and half-closes; collects what the server sends until it closes. */
async function exchange(name: string, bytes: Uint8Array): Promise<{ kind: number; body: Buffer }[]> {
  const path = parseName(name).address.slice("unix:".length);
  const socket = createConnection(path);
  const got: Buffer[] = [];
  socket.on("data", (d: Buffer) => got.push(d));
  const closed = new Promise<void>((resolve, reject) => {
    socket.on("close", () => resolve());
    socket.on("error", (err: NodeJS.ErrnoException) => (err.code === "ECONNRESET" || err.code === "EPIPE" ? resolve() : reject(err)));
  });
  socket.end(bytes);
  const timer = setTimeout(() => socket.destroy(new Error("the C server did not close the connection within 10 s")), 10_000);
  await closed;
  clearTimeout(timer);
  return framesIn(Buffer.concat(got));
}

/** The reason of the ERROR frame the server ended with. */
function errorReason(frames: { kind: number; body: Buffer }[]): string {
  const last = frames.at(-1);
  assert.equal(last?.kind, Kind.Error, `expected an ERROR frame, got kinds ${frames.map((f) => f.kind).join(",")}`);
  return last.body.toString("utf8");
}

test(
  "before the handshake: bad magic, oversized length, too many handles, a bad HELLO are refused; then the right client gets in",
  T,
  async () => {
    const peer = new CPeer(["recv", "bytes"], {}, exe);
    try {
      const name = await peer.next("name");
      const cases: [Uint8Array, RegExp][] = [
        [new Uint8Array(HEADER_SIZE).fill(0xab), /^bad frame: wrong magic/],
        [
          frame({ kind: Kind.Hello, bodyLength: 0xfffffff0 }),
          /^frame of 4294967320 bytes exceeds the maximum frame size of 1048576 bytes$/,
        ],
        [frame({ kind: Kind.Hello, handleCount: 0xffffffff }), /^bad frame: 4294967295 handles, at most 64 allowed$/],
        [frame({ kind: 99 }), /^bad frame: unknown kind 99$/],
        [frame({ kind: Kind.Hello, body: new Uint8Array(10) }), /^bad HELLO: 10 bytes, expected 72$/],
        [frame({ kind: Kind.Message, routeId: 1, seq: 1, type: BYTES }), /^handshake refused: expected HELLO, got frame kind 3$/],
        [hello(name, splitTypeId(typeIdOf("example.v1.Ping"))), /^handshake refused: this server's channel carries protochan\.bytes/],
      ];
      for (const [bytes, reason] of cases) {
        assert.match(errorReason(await exchange(name, bytes)), reason);
        assert.match(await peer.next("refused"), reason);
      }
      // Half a header, then gone: nothing to answer, the server just goes on.
      assert.deepEqual(await exchange(name, new Uint8Array(20)), []);
      assert.match(await peer.next("refused"), /peer closed the connection in the middle of a frame/);
      const tx = await connect(BytesChannel, name, { timeoutMs: 10_000 });
      await peer.next("accepted");
      tx.send(new Uint8Array(0));
      tx.close();
      assert.equal(await peer.next("done"), "1");
      await peer.succeeded();
    } finally {
      peer.kill();
    }
  },
);

/** Completes a real handshake, then sends `after`; what the server answered after WELCOME. */
async function afterHandshake(after: Uint8Array): Promise<{ reason: string; peer: CPeer }> {
  const peer = new CPeer(["recv", "bytes"], {}, exe);
  const name = await peer.next("name");
  const frames = await exchange(name, Buffer.concat([hello(name), after]));
  assert.equal(frames[0]?.kind, Kind.Welcome);
  assert.equal(frames[0]?.body.length, WELCOME_SIZE);
  return { reason: errorReason(frames), peer };
}

function entries(...values: [kind: number, flags: number][]): Uint8Array {
  const table = new Uint8Array(values.length * HANDLE_ENTRY_SIZE);
  const view = new DataView(table.buffer);
  values.forEach(([kind, flags], i) => {
    view.setUint16(i * HANDLE_ENTRY_SIZE, kind, true);
    view.setUint16(i * HANDLE_ENTRY_SIZE + 2, flags, true);
    view.setUint32(i * HANDLE_ENTRY_SIZE + 8, BYTES.lo, true);
    view.setUint32(i * HANDLE_ENTRY_SIZE + 12, BYTES.hi, true);
  });
  return table;
}

const message = (f: Partial<Frame>): Uint8Array => frame({ kind: Kind.Message, routeId: 1, seq: 1, type: BYTES, ...f });

const afterCases: [string, Uint8Array, RegExp, string][] = [
  ["a garbage handle table", message({ handles: entries([1, 0], [0x7777, 0]) }), /^handle 1: unknown kind 30583$/, "PROTOCOL_ERROR"],
  ["unknown handle flags", message({ handles: entries([2, 1]) }), /^handle 0: unknown flags 0x1$/, "PROTOCOL_ERROR"],
  [
    "a handle table longer than the frame",
    message({ handleCount: 64, bodyLength: 0xfffff000 }),
    /exceeds the maximum frame size/,
    "FRAME_TOO_LARGE",
  ],
  [
    "a well-formed channel end",
    message({ handles: entries([1, 0]) }),
    /^route 1: message 1 carries 1 channel end\(s\) \(handle 0: a sender of type 0x25f10c727835f6a0\); this C peer cannot take channel ends$/,
    "HANDLES_UNSUPPORTED",
  ],
  ["a message out of sequence", message({ seq: 7 }), /^route 1: message 7 out of sequence \(expected 1\)$/, "PROTOCOL_ERROR"],
  [
    "a message of another type",
    message({ type: splitTypeId(typeIdOf("example.v1.Ping")) }),
    /^route 1 carries protochan\.bytes but the peer sent another message type$/,
    "PROTOCOL_ERROR",
  ],
  ["a message on another route", message({ routeId: 9 }), /^frame for unknown route 9$/, "PROTOCOL_ERROR"],
  [
    "a CLOSE with a wrong last seq",
    frame({ kind: Kind.Close, routeId: 1, seq: 3 }),
    /^route 1: closed after message 3 but 0 arrived$/,
    "PROTOCOL_ERROR",
  ],
  [
    "a frame kind the receiver never gets",
    frame({ kind: Kind.Open, routeId: 2 }),
    /^unexpected frame kind 8 after the handshake$/,
    "PROTOCOL_ERROR",
  ],
];

for (const [what, bytes, reason, code] of afterCases) {
  test(`after the handshake, ${what}: ERROR to the peer, a clean ${code} in C`, T, async () => {
    const { reason: got, peer } = await afterHandshake(bytes);
    try {
      assert.match(got, reason);
      const line = await peer.next("error");
      assert.ok(line.startsWith(`${code} `), line);
      assert.match(line.slice(code.length + 1), reason);
      assert.equal(await peer.exitCode(), 2); // a clean exit, not a signal or a sanitizer abort
      assert.doesNotMatch(peer.stderr, /Sanitizer|runtime error/);
    } finally {
      peer.kill();
    }
  });
}
