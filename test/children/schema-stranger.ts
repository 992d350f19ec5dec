// Child: a client with the right token that negotiates schemas on a raw
// socket and answers the server's SCHEMA with a bad one. BODY says which:
//   garbage   not JSON
//   dangling  a field of a message type it does not describe
//   huge      a body over the 1 MiB bound
// Reports the server's answer (the text of its ERROR frame).
import { createConnection } from "node:net";
import { parseName } from "../../src/transport/name.js";
import { encodeHello } from "../../src/bootstrap/handshake.js";
import { HEADER_SIZE, HELLO_FLAG_SCHEMA, Kind, NO_TYPE, Off, splitTypeId, writeHeader } from "../../src/wire/header.js";
import { typeIdOf } from "../../src/wire/type-id.js";
import { report } from "../helpers/child.js";

const { address, token } = parseName(process.env.PROTOCHAN_NAME!);

function frame(kind: Kind, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + body.length);
  writeHeader(new DataView(out.buffer), 0, kind, 0, body.length, 0, NO_TYPE);
  out.set(body, HEADER_SIZE);
  return out;
}

const bodies: Record<string, () => Uint8Array> = {
  garbage: () => new TextEncoder().encode("{not json"),
  dangling: () =>
    new TextEncoder().encode(
      JSON.stringify({ types: ["example.v1.Ping"], messages: { "example.v1.Ping": [[1, "x", "", "message a.B"]] } }),
    ),
  huge: () => new Uint8Array(1024 * 1024 + 1).fill(0x20),
};

const socket = createConnection({ path: address.slice("unix:".length) });
let received = Buffer.alloc(0);
let answered = false;
socket.on("connect", () => {
  const hello = encodeHello({
    flags: HELLO_FLAG_SCHEMA,
    type: splitTypeId(typeIdOf("example.v1.Ping")),
    token,
    node: new Uint8Array(16),
    window: 1 << 20,
    maxFrameSize: 4 << 20,
  });
  socket.write(frame(Kind.Hello, hello));
});
socket.on("data", (d: Buffer) => {
  received = Buffer.concat([received, d]);
  // Frames in order: the server's SCHEMA (answered once), then its ERROR.
  while (received.length >= HEADER_SIZE) {
    const view = new DataView(received.buffer, received.byteOffset, received.length);
    const length = HEADER_SIZE + view.getUint32(Off.bodyLength, true);
    if (received.length < length) return;
    const kind = view.getUint16(Off.kind, true);
    const body = received.subarray(HEADER_SIZE, length);
    received = received.subarray(length);
    if (kind === Kind.Schema && !answered) {
      answered = true;
      socket.write(frame(Kind.Schema, bodies[process.env.BODY!]!()));
    } else if (kind === Kind.Error) {
      report("refused", { answer: body.toString() });
      socket.destroy();
    }
  }
});
socket.on("error", () => {});
