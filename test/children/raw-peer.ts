// Child: a hostile peer on a raw socket. Connects to the parent's server
// address and writes what MODE says, then reports what the server answered.
import { createConnection } from "node:net";
import { parseName } from "../../src/transport/name.js";
import { encodeHello } from "../../src/bootstrap/handshake.js";
import { HEADER_SIZE, Kind, NO_TYPE, Off, splitTypeId, writeHeader } from "../../src/wire/header.js";
import { typeIdOf } from "../../src/wire/type-id.js";
import { report } from "../helpers/child.js";

const { address, token } = parseName(process.env.PROTOCHAN_NAME!);
const mode = process.env.MODE!;

function frame(kind: Kind, routeId: number, seq: number, body: Uint8Array, type = NO_TYPE): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + body.length);
  writeHeader(new DataView(out.buffer), 0, kind, routeId, body.length, seq, type);
  out.set(body, HEADER_SIZE);
  return out;
}

const hello = frame(
  Kind.Hello,
  0,
  0,
  encodeHello({ type: splitTypeId(typeIdOf("example.v1.Ping")), token, node: new Uint8Array(16), window: 1 << 20, maxFrameSize: 1 << 20 }),
);
const garbage = new Uint8Array(4096).map((_, i) => (i * 131 + 17) & 0xff);
const oversized = frame(Kind.Message, 1, 1, new Uint8Array(0), splitTypeId(typeIdOf("example.v1.Ping")));
new DataView(oversized.buffer).setUint32(Off.bodyLength, 0x40000000, true); // claims 1 GiB

const socket = createConnection({ path: address.slice("unix:".length) });
let received = Buffer.alloc(0);
socket.on("data", (d) => (received = Buffer.concat([received, d])));
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
  else throw new Error(`unknown MODE ${mode}`);
});
