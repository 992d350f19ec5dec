// Child: the consumer of a packet stream. Connects to PROTOCHAN_NAME and
// receives as MODE says, reporting to the parent test in JSON lines.
//   million: example.v1.Sample packets through receivePackets(MAX) until the end
//   pause:   receives a buffered batch in pieces, never waiting for another one
//   flood:   a slow consumer with maxBufferedBatches = 4: measures its memory
import { PacketClient } from "protochan";
import { SampleView } from "../../generated/example/v1/packets_packet.js";
import { checkPacket, checkSample, lastInstruction, retainedBytes } from "../packet-stream/fixtures.js";
import { report } from "../helpers/child.js";

const name = process.env.PROTOCHAN_NAME!;
const mode = process.env.MODE!;

function describe(err: unknown): Record<string, unknown> {
  const e = err as { name?: string; code?: string; reason?: string; message?: string };
  return { error: e.name, code: e.code, reason: e.reason, message: e.message };
}

try {
  if (mode === "million") {
    const max = Number(process.env.MAX);
    const count = Number(process.env.COUNT);
    const client = await PacketClient.connect(name, { packetType: SampleView, timeoutMs: 20_000 });
    report("connected");
    let n = 0;
    let calls = 0;
    let largest = 0;
    let bad: string | undefined;
    for (;;) {
      const packets = await client.receivePackets(max, { timeoutMs: 20_000 });
      if (packets === null) break;
      calls++;
      largest = Math.max(largest, packets.length);
      for (const p of packets) {
        bad ??= checkSample(p, n);
        n++;
      }
    }
    report("done", { count: n, calls, largest, bad: bad ?? null, expected: count });
  } else if (mode === "pause") {
    const client = await PacketClient.connect(name, { timeoutMs: 20_000 });
    const before = client.tryReceivePackets(5);
    report("connected", { before: before?.length ?? null });
    // The producer sent one batch of 10 and waits for "drained": all 10 must
    // come out without another batch (a wait would run into the timeout).
    const sizes: number[] = [];
    let n = 0;
    while (n < 10) {
      const packets = await client.receivePackets(3, { timeoutMs: 10_000 });
      if (packets === null) throw new Error("unexpected end");
      for (const p of packets) {
        const bad = checkPacket(p, n++);
        if (bad !== undefined) throw new Error(bad);
      }
      sizes.push(packets.length);
    }
    const empty = client.tryReceivePackets(5);
    report("drained", { sizes, empty: empty?.length ?? null, buffered: client.bufferedBatches });
    // Two batches of 5 and the end were written at once: one call takes packets from both.
    const rest = await client.receivePackets(100, { timeoutMs: 10_000 });
    rest?.forEach((p, i) => {
      const bad = checkPacket(p, 10 + i);
      if (bad !== undefined) throw new Error(bad);
    });
    const end = await client.receivePackets(100, { timeoutMs: 10_000 });
    const after = client.tryReceivePackets(1);
    report("done", { rest: rest?.length ?? null, end, after });
  } else if (mode === "flood") {
    const client = await PacketClient.connect(name, { maxBufferedBatches: 4, maxBatchBytes: 128 * 1024, timeoutMs: 20_000 });
    const base = await retainedBytes();
    report("connected");
    await lastInstruction(); // the producer is measuring too: start
    let n = 0;
    let bytes = 0;
    let batches = 0;
    let maxBuffered = 0;
    let maxRetained = base;
    let sum = 0;
    for (;;) {
      maxBuffered = Math.max(maxBuffered, client.bufferedBatches);
      const batch = await client.receiveBatch({ timeoutMs: 20_000 });
      if (batch === null) break;
      for (const p of batch) {
        const bad = checkPacket(p, n++, 1400);
        if (bad !== undefined) throw new Error(bad);
        const payload = p.payload;
        bytes += payload.length;
        for (let k = 0; k < payload.length; k += 4) sum = (sum + payload[k]!) | 0; // a slow consumer
      }
      await new Promise((resolve) => setImmediate(resolve));
      if (++batches % 128 === 0) {
        maxRetained = Math.max(maxRetained, await retainedBytes());
      }
    }
    report("done", { count: n, bytes, batches, maxBuffered, base, maxRetained, sum });
  } else {
    throw new Error(`unknown MODE ${mode}`);
  }
} catch (err) {
  report("failed", describe(err));
}
