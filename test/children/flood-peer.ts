// Child: a hostile peer that claims resources instead of breaking the
// protocol. It completes the handshake of the parent's untyped one-shot
// server, then, by MODE:
//   senders   — messages of 64 sender handles each (every one makes the
//               server open a route back), TOTAL handles in all;
//   receivers — messages of 64 receiver handles each (every one makes a
//               port), TOTAL in all, ignoring flow control;
//   fill      — moves ROUTES receivers to the server, opens a stream to each
//               and fills every stream to just under its window (flow
//               control kept per route, never the connection's sum);
//   no-read   — like senders, but never reads what the server writes back;
//   redirect  — one sender handle, then a REDIRECT naming TARGET on the
//               route the server opened back for it, then a message "after".
// Writes wait for the socket (so this child stays small) and it reports
// "closed" with the server's ERROR reason once the server drops it.
import { createConnection } from "node:net";
import { parseName } from "../../src/transport/name.js";
import { encodeHello } from "../../src/bootstrap/handshake.js";
import { HEADER_SIZE, Kind, NO_TYPE, Off, splitTypeId, writeHeader } from "../../src/wire/header.js";
import { typeIdOf } from "../../src/wire/type-id.js";
import { ByteWriter } from "../../src/wire/byte-writer.js";
import { msgpackCodec } from "../../src/codec/msgpack.js";
import { encodeNodeAddress, encodeOpen, HANDLE_ENTRY_SIZE, writeHandleEntry } from "../../src/connection/routing-frames.js";
import { HandleKind } from "../../src/routing/events.js";
import { globalKey } from "../../src/routing/keys.js";
import { channel } from "protochan";
import { report } from "../helpers/child.js";

const { address, token } = parseName(process.env.PROTOCHAN_NAME!);
const mode = process.env.MODE!;
const total = Number(process.env.TOTAL ?? 0);
const PER_MESSAGE = 64;
const ANY = splitTypeId(typeIdOf("protochan.any"));
const node = new Uint8Array(16).fill(Number(process.env.NODE_SEED ?? 7)); // this peer's node id
let serial = 0;

function frame(kind: Kind, routeId: number, seq: number, body: Uint8Array, handles: Uint8Array = new Uint8Array(0), count = 0): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + handles.length + body.length);
  writeHeader(new DataView(out.buffer), 0, kind, routeId, body.length, seq, kind === Kind.Hello ? NO_TYPE : ANY, count);
  out.set(handles, HEADER_SIZE);
  out.set(body, HEADER_SIZE + handles.length);
  return out;
}

/** A bootstrap-route MESSAGE `{ ends: [...] }` whose ends are `count` fresh handles of `kind`. */
function handlesMessage(seq: number, kind: HandleKind, count: number, streamCount = 0): { bytes: Uint8Array; ports: number[] } {
  const [tx, rx] = channel();
  const w = new ByteWriter(1024);
  let i = 0;
  const end = kind === HandleKind.Sender ? tx : rx;
  msgpackCodec.encode({ ends: Array.from({ length: count }, () => end) }, w, { sender: () => i++, receiver: () => i++ });
  const table = new Uint8Array(count * HANDLE_ENTRY_SIZE);
  const view = new DataView(table.buffer);
  const ports: number[] = [];
  for (let k = 0; k < count; k++) {
    const port = ++serial;
    ports.push(port);
    writeHandleEntry(view, k * HANDLE_ENTRY_SIZE, {
      kind,
      port: globalKey(node, port),
      typeLo: ANY.lo,
      typeHi: ANY.hi,
      streamCount,
      hold: kind === HandleKind.Sender ? port : 0,
    });
  }
  tx.close();
  return { bytes: frame(Kind.Message, 1, seq, w.take(), table, count), ports };
}

const socket = createConnection({ path: address.slice("unix:".length) });
let received = Buffer.alloc(0);
let closed = false;
if (mode !== "no-read") socket.on("data", (d) => (received = Buffer.concat([received, d]).subarray(-65536)));
socket.on("error", () => {});
socket.on("close", () => {
  closed = true;
  let reason = "";
  // Only the tail is kept: find the ERROR frame in it by its kind and a plausible length.
  for (let at = 0; at + HEADER_SIZE <= received.length; at++) {
    if (received.readUInt16LE(at + Off.kind) !== Kind.Error) continue;
    const len = received.readUInt32LE(at + Off.bodyLength);
    if (len > 0 && len <= 1024 && at + HEADER_SIZE + len <= received.length)
      reason = received.subarray(at + HEADER_SIZE, at + HEADER_SIZE + len).toString();
  }
  report("closed", { reason, sent });
});

let sent = 0;

/** The route id of the first OPEN the server writes (the clone of our sender opening back). */
async function openedRoute(): Promise<number> {
  for (;;) {
    for (let at = 0; at + HEADER_SIZE <= received.length; at += HEADER_SIZE + received.readUInt32LE(at + Off.bodyLength)) {
      if (received.readUInt16LE(at + Off.kind) === Kind.Open) return received.readUInt32LE(at + Off.routeId);
    }
    await new Promise((resolve) => socket.once("data", resolve));
  }
}

function msgpackBody(value: unknown): Uint8Array {
  const w = new ByteWriter(64);
  msgpackCodec.encode(value, w);
  return w.take();
}
async function write(bytes: Uint8Array): Promise<void> {
  if (!socket.write(bytes)) await new Promise<void>((resolve) => socket.once("drain", resolve).once("close", resolve));
}

socket.on("connect", async () => {
  await write(frame(Kind.Hello, 0, 0, encodeHello({ type: ANY, token, node, window: 1 << 24, maxFrameSize: 1 << 24 })));
  let seq = 0;
  if (mode === "senders" || mode === "receivers" || mode === "no-read") {
    const kind = mode === "receivers" ? HandleKind.Receiver : HandleKind.Sender;
    while (sent < total && !closed) {
      const count = Math.min(PER_MESSAGE, total - sent);
      await write(handlesMessage(++seq, kind, count).bytes);
      sent += count;
    }
  } else if (mode === "redirect") {
    await write(handlesMessage(++seq, HandleKind.Sender, 1).bytes);
    const route = await openedRoute();
    const target = encodeNodeAddress({ node: new Uint8Array(16).fill(0x5a), name: process.env.TARGET! });
    await write(frame(Kind.Redirect, route, 0, target));
    await write(frame(Kind.Message, 1, ++seq, msgpackBody("after")));
  } else if (mode === "fill") {
    const routes = Number(process.env.ROUTES);
    const fill = Number(process.env.FILL); // body bytes per stream
    const { bytes, ports } = handlesMessage(++seq, HandleKind.Receiver, routes, 1);
    await write(bytes);
    // The streams open first (the message is delivered once its receivers are complete), then fill.
    for (let r = 0; r < routes; r++) {
      const stream = globalKey(node, 1_000_000 + r);
      await write(frame(Kind.Open, 2 + r, 0, encodeOpen({ stream, port: globalKey(node, ports[r]!), base: true, firstSeq: 1 })));
    }
    for (let r = 0; r < routes && !closed; r++) {
      const route = 2 + r;
      const body = new Uint8Array(64 * 1024 - HEADER_SIZE);
      body[0] = 0xc5; // msgpack bin 16: a byte string of the rest
      body[1] = (body.length - 3) >> 8;
      body[2] = (body.length - 3) & 0xff;
      for (let m = 0; m * 64 * 1024 < fill && !closed; m++) await write(frame(Kind.Message, route, m + 1, body));
      sent++;
    }
  }
  report("sent", { sent });
});
