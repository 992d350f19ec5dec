// Child: a hostile producer on a raw socket. Connects to the packet client's
// data server (DATA_NAME), opens the stream properly, sends one good batch of
// 3 example.v1.Sample packets, then a corrupt one (CORRUPT says how), and
// reports the reason of the ERROR frame the client answered with.
import { createConnection } from "node:net";
import { parseName } from "../../src/transport/name.js";
import { encodeHello } from "../../src/bootstrap/handshake.js";
import { HEADER_SIZE, Kind, splitTypeId, writeHeader } from "../../src/wire/header.js";
import { typeIdOf } from "../../src/wire/type-id.js";
import { BATCH_MAGIC, DATA_PREFIX, StreamKind } from "../../src/packet-stream/index.js";
import { SampleView } from "../../generated/example/v1/packets_packet.js";
import { fillSample } from "../packet-stream/fixtures.js";
import { report } from "../helpers/child.js";

const { address, token } = parseName(process.env.DATA_NAME!);
const type = splitTypeId(typeIdOf(`${DATA_PREFIX}example.v1.Sample`));
const SIZE = SampleView.layout.size;

function frame(kind: Kind, seq: number, body: Uint8Array, routeId = 1): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + body.length);
  writeHeader(new DataView(out.buffer), 0, kind, routeId, body.length, seq, kind === Kind.Hello ? { lo: 0, hi: 0 } : type);
  out.set(body, HEADER_SIZE);
  return out;
}

function batch(kind: number, count: number, records: Uint8Array, magic = BATCH_MAGIC): Uint8Array {
  const out = new Uint8Array(16 + records.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, magic, true);
  v.setUint16(4, kind, true);
  v.setUint16(6, 0, true);
  v.setUint32(8, count, true);
  v.setUint32(12, SIZE, true);
  out.set(records, 16);
  return out;
}

const good = SampleView.createBatch(3);
for (let i = 0; i < 3; i++) fillSample(good.get(i), i);
const corrupt =
  process.env.CORRUPT === "magic"
    ? batch(StreamKind.Batch, 1, new Uint8Array(SIZE), 0xdeadbeef)
    : batch(StreamKind.Batch, 5, new Uint8Array(SIZE * 4)); // claims 5 packets, holds 4

const hello = encodeHello({ type, token, node: new Uint8Array(16).fill(7), window: 1 << 20, maxFrameSize: 1 << 20 });
const socket = createConnection({ path: address.slice("unix:".length) });
let received = Buffer.alloc(0);
socket.on("data", (d) => (received = Buffer.concat([received, d])));
socket.on("error", () => {});
socket.on("close", () => {
  // The client answers a corrupt batch with an ERROR frame whose body is the reason.
  const text = received.toString("latin1");
  const at = text.indexOf("corrupt packet batch");
  report("closed", { reason: at < 0 ? "" : text.slice(at, text.indexOf("\0", at) >>> 0) });
});
socket.on("connect", () => {
  socket.write(
    Buffer.concat([
      frame(Kind.Hello, 0, hello, 0),
      frame(Kind.Message, 1, batch(StreamKind.Open, 0, new Uint8Array(0))),
      frame(Kind.Message, 2, batch(StreamKind.Batch, 3, good.bytes)),
    ]),
  );
  report("sent-good");
  process.stdin.once("data", () => socket.write(frame(Kind.Message, 3, corrupt)));
});
