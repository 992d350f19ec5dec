// Child: a hostile peer on a raw socket. Connects to the parent's server
// address and writes what MODE says, then reports what the server answered.
import { createConnection } from "node:net";
import { parseName } from "../../src/transport/name.js";
import { decodeWelcome, encodeHello } from "../../src/bootstrap/handshake.js";
import { HEADER_SIZE, Kind, NO_TYPE, Off, splitTypeId, writeHeader } from "../../src/wire/header.js";
import { typeIdOf } from "../../src/wire/type-id.js";
import { report } from "../helpers/child.js";
import { channel } from "protochan";
import { ByteWriter } from "protochan/codegenv1";
import { msgpackCodec } from "../../src/codec/msgpack.js";
import { HANDLE_ENTRY_SIZE, encodeHandoff, writeHandleEntry } from "../../src/connection/routing-frames.js";
import { globalKey } from "../../src/routing/keys.js";
import { create } from "@bufbuild/protobuf";
import { ExchangeCodec } from "../../generated/example/v1/requests_codec.js";
import { ExchangeSchema, type Exchange } from "../../generated/example/v1/requests_pb.js";
import { PingCodec } from "../../generated/example/v1/example_codec.js";
import { PingSchema } from "../../generated/example/v1/example_pb.js";
import { ReceiverHandleSchema, SenderHandleSchema } from "../../generated/protochan/v1/handles_pb.js";

const { address, token } = parseName(process.env.PROTOCHAN_NAME!);
const mode = process.env.MODE!;

function frame(kind: Kind, routeId: number, seq: number, body: Uint8Array, type = NO_TYPE): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + body.length);
  writeHeader(new DataView(out.buffer), 0, kind, routeId, body.length, seq, type);
  out.set(body, HEADER_SIZE);
  return out;
}

// CHANNEL: the type the server's channel carries, if not what the mode implies.
const channelType =
  process.env.CHANNEL ??
  (mode.startsWith("handle-") ? "protochan.any" : mode.startsWith("oneof-") ? "example.v1.Exchange" : "example.v1.Ping");
const hello = frame(
  Kind.Hello,
  0,
  0,
  encodeHello({ type: splitTypeId(typeIdOf(channelType)), token, node: new Uint8Array(16), window: 1 << 20, maxFrameSize: 1 << 20 }),
);
// A MESSAGE for an untyped channel whose body names handles the table does not hold.
function handleFrame(entryKind: number, indices: number[]): Uint8Array {
  const [sender] = channel();
  const w = new ByteWriter(256);
  let i = 0;
  msgpackCodec.encode({ ends: indices.map(() => sender) }, w, { sender: () => indices[i++]!, receiver: () => 0 });
  return withOneHandle("protochan.any", entryKind, "protochan.any", w.take());
}

// A MESSAGE for an example.v1.Exchange channel whose oneof arm names handle `index`;
// the table holds one end of `entryType`.
function oneofFrame(arm: "reply" | "inbox", index: number, entryKind: number, entryType: string): Uint8Array {
  const answers: Exchange["answers"] =
    arm === "reply"
      ? { case: "reply", value: create(SenderHandleSchema, { index }) }
      : { case: "inbox", value: create(ReceiverHandleSchema, { index }) };
  const w = new ByteWriter(256);
  ExchangeCodec.encode(create(ExchangeSchema, { topic: "hostile", answers }), w);
  return withOneHandle("example.v1.Exchange", entryKind, entryType, w.take());
}

function withOneHandle(messageType: string, entryKind: number, entryType: string, body: Uint8Array): Uint8Array {
  const type = splitTypeId(typeIdOf(entryType));
  const out = new Uint8Array(HEADER_SIZE + HANDLE_ENTRY_SIZE + body.length);
  const view = new DataView(out.buffer);
  writeHeader(view, 0, Kind.Message, 1, body.length, 1, splitTypeId(typeIdOf(messageType)), 1);
  writeHandleEntry(view, HEADER_SIZE, {
    kind: entryKind as 1,
    port: globalKey(new Uint8Array(16), 1),
    typeLo: type.lo,
    typeHi: type.hi,
    streamCount: 0,
    hold: 0,
  });
  out.set(body, HEADER_SIZE + HANDLE_ENTRY_SIZE);
  return out;
}

const garbage = new Uint8Array(4096).map((_, i) => (i * 131 + 17) & 0xff);
const oversized = frame(Kind.Message, 1, 1, new Uint8Array(0), splitTypeId(typeIdOf("example.v1.Ping")));
new DataView(oversized.buffer).setUint32(Off.bodyLength, 0x40000000, true); // claims 1 GiB

// A MESSAGE on the bootstrap route (1) of the server's channel type.
function message(body: Uint8Array, seq = 1, type = channelType, route = 1): Uint8Array {
  return frame(Kind.Message, route, seq, body, splitTypeId(typeIdOf(type)));
}

function msgpack(value: unknown): Uint8Array {
  const w = new ByteWriter(64);
  msgpackCodec.encode(value, w);
  return w.take();
}

const pingBody = (() => {
  const w = new ByteWriter(16);
  PingCodec.encode(create(PingSchema, { seq: 1n }), w);
  return w.take();
})();

// Protocol violations after a good HELLO, by mode.
const violations: Record<string, () => Uint8Array> = {
  "msgpack-garbage": () => message(new Uint8Array([0xc1, 0xc1, 0xc1])), // 0xc1 is never used in msgpack
  "wrong-type": () => message(pingBody, 1, "example.v1.Pong"),
  "out-of-sequence": () => message(pingBody, 5),
  "unknown-route": () => message(pingBody, 1, channelType, 99),
  "unknown-kind": () => frame(200 as Kind, 0, 0, new Uint8Array(0)),
  "bad-protobuf": () => message(new Uint8Array([0x08, 0xff, 0xff])), // a varint cut short
  "bad-call": () => message(msgpack({ method: 5, reply: "not a sender" })),
  truncated: () => message(pingBody).subarray(0, HEADER_SIZE + 1),
};

const socket = createConnection({ path: address.slice("unix:".length) });
let received = Buffer.alloc(0);
let handedOff = false;
socket.on("data", (d) => {
  received = Buffer.concat([received, d]);
  // After WELCOME: a HANDOFF on the bootstrap route, to the server (here) or to a process that is not on the path.
  if (
    (mode === "handoff-here" || mode === "handoff-elsewhere") &&
    !handedOff &&
    received.length >= HEADER_SIZE + received.readUInt32LE(Off.bodyLength)
  ) {
    handedOff = true;
    const server = decodeWelcome(received.subarray(HEADER_SIZE, HEADER_SIZE + received.readUInt32LE(Off.bodyLength))).node;
    const target = mode === "handoff-here" ? server : new Uint8Array(16).fill(7);
    socket.write(frame(Kind.Handoff, 1, 0, encodeHandoff({ target, stream: globalKey(new Uint8Array(16), 0), join: 1 })));
  }
});
socket.on("error", () => {});
socket.on("close", () => {
  // Report the ERROR frame's reason, if the server sent one.
  let reason = "";
  for (let at = 0; at + HEADER_SIZE <= received.length; ) {
    const kind = received.readUInt16LE(at + Off.kind);
    const len = received.readUInt32LE(at + Off.bodyLength);
    if (kind === Kind.Error) reason = received.subarray(at + HEADER_SIZE, at + HEADER_SIZE + len).toString();
    at += HEADER_SIZE + len;
  }
  report("closed", { reason });
});
socket.on("connect", () => {
  if (mode === "garbage") socket.write(garbage);
  else if (mode === "garbage-after-hello") socket.write(Buffer.concat([hello, garbage]));
  else if (mode === "oversized-after-hello") socket.write(Buffer.concat([hello, oversized]));
  else if (mode === "handle-out-of-range") socket.write(Buffer.concat([hello, handleFrame(1, [3])]));
  else if (mode === "handle-used-twice") socket.write(Buffer.concat([hello, handleFrame(1, [0, 0])]));
  else if (mode === "handle-bad-kind") socket.write(Buffer.concat([hello, handleFrame(9, [0])]));
  else if (mode === "oneof-out-of-range") socket.write(Buffer.concat([hello, oneofFrame("reply", 3, 1, "example.v1.Answer")]));
  else if (mode === "oneof-wrong-type") socket.write(Buffer.concat([hello, oneofFrame("reply", 0, 1, "protochan.any")]));
  else if (mode === "oneof-wrong-kind") socket.write(Buffer.concat([hello, oneofFrame("inbox", 0, 1, "example.v1.Answer")]));
  else if (mode === "handoff-here" || mode === "handoff-elsewhere") socket.write(hello);
  else if (mode in violations) {
    socket.write(Buffer.concat([hello, violations[mode]!()]));
    if (mode === "truncated") socket.end(); // and leave in the middle of the frame
  } else throw new Error(`unknown MODE ${mode}`);
});
