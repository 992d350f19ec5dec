// Child: the producer of a packet stream (default protochan.v1.Packet).
// Reports {event:"listening", name}, accepts one client, then does MODE:
//   batches:       BATCHES batches of 100 packets, reports "sent", then THEN:
//                  "end" (explicit end), "close" (close without end), "wait" (until killed)
//   flood:         pipeFrom(a Readable) of TOTAL_MB MB of 1400-byte payloads, measuring memory
//   pipe-gen:      pipeFrom(an async generator): one packet, then (on "more") COUNT - 1 more
//   pipe-readable: the same from an object-mode Readable
import { Readable } from "node:stream";
import { PacketServer } from "protochan";
import type { PacketView } from "../../generated/protochan/v1/packet_packet.js";
import { lastInstruction, makePacket, retainedBytes } from "../packet-stream/fixtures.js";
import { report } from "../helpers/child.js";

const mode = process.env.MODE!;
const { server, name } = await PacketServer.create();
report("listening", { name });
const conn = await server.accept({ timeoutMs: 20_000 });
await server.close();
report("accepted");

if (mode === "batches") {
  const batches = Number(process.env.BATCHES);
  let i = 0;
  for (let b = 0; b < batches; b++) {
    const packets: PacketView[] = [];
    for (let k = 0; k < 100; k++) packets.push(makePacket(i++));
    await conn.send(packets);
  }
  const then = process.env.THEN;
  if (then === "end") await conn.end();
  else if (then === "close") conn.close();
  report("sent", { count: i });
  if (then === "wait") await lastInstruction();
} else if (mode === "flood") {
  const total = Number(process.env.TOTAL_MB) * 1e6;
  const count = Math.ceil(total / 1400);
  await lastInstruction(); // the consumer has measured its baseline
  const base = await retainedBytes();
  let maxRetained = base;
  // Packets are made only as pipeFrom() pulls them through the Readable.
  const source = Readable.from(
    (async function* () {
      for (let i = 0; i < count; i++) {
        if (i % 8192 === 0 && i > 0) maxRetained = Math.max(maxRetained, await retainedBytes());
        yield makePacket(i, 1400);
      }
    })(),
    { objectMode: true, highWaterMark: 64 },
  );
  // Full batches only (no time-based flush): the consumer's bound counts batches, and under
  // load a timed flush would send partial ones, more of which fit in the same byte window.
  const sent = await conn.pipeFrom(source, { batchSize: 64, flushIntervalMs: 60_000 });
  report("done", { sent, base, maxRetained });
} else if (mode === "pipe-gen" || mode === "pipe-readable") {
  const count = Number(process.env.COUNT);
  let source: AsyncIterable<PacketView>;
  if (mode === "pipe-gen") {
    source = (async function* () {
      yield makePacket(0);
      await lastInstruction(); // the parent got packet 0 alone: it was not held back
      for (let i = 1; i < count; i++) yield makePacket(i);
    })();
  } else {
    const readable = new Readable({ objectMode: true, read() {} });
    readable.push(makePacket(0));
    void lastInstruction().then(() => {
      for (let i = 1; i < count; i++) readable.push(makePacket(i));
      readable.push(null);
    });
    source = readable;
  }
  const sent = await conn.pipeFrom(source, { batchSize: 500, flushIntervalMs: 20 });
  report("done", { sent });
} else {
  throw new Error(`unknown MODE ${mode}`);
}
