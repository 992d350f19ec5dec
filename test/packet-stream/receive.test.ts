// Packet streaming, receiving side: a child process receives 1,000,000
// packets in batches of 1,000 through receivePackets(max) for several max,
// and buffered packets come out without waiting for another batch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PacketServer } from "protochan";
import { SampleView } from "../../generated/example/v1/packets_packet.js";
import { Child } from "../helpers/child.js";
import { fillSample, makePacket } from "./fixtures.js";

const COUNT = 1_000_000;
const BATCH = 1000;

for (const max of [1, 7, 1000, 5000]) {
  test(`1,000,000 Sample packets in batches of 1,000 arrive exactly once, in order, intact: receivePackets(${max})`, {
    timeout: 60_000,
  }, async () => {
    const { server, name } = await PacketServer.create({ packetType: SampleView });
    const child = new Child("packet-consumer.ts", { PROTOCHAN_NAME: name, MODE: "million", MAX: String(max), COUNT: String(COUNT) });
    try {
      const conn = await server.accept({ timeoutMs: 20_000 });
      assert.equal(conn.format.layout, 0, "Sample goes in fixed-size records");
      const batch = SampleView.createBatch(BATCH);
      for (let i = 0; i < COUNT; i += BATCH) {
        for (let k = 0; k < BATCH; k++) fillSample(batch.get(k), i + k);
        await conn.send(batch);
      }
      await conn.end();
      const done = await child.next("done", 40_000);
      assert.deepEqual({ count: done.count, bad: done.bad }, { count: COUNT, bad: null }, `child: ${JSON.stringify(done)}`);
      assert.ok((done.largest as number) <= max, `a call returned ${done.largest} packets for max ${max}`);
      if (max <= BATCH) assert.ok((done.calls as number) >= COUNT / max, `only ${done.calls} calls`);
      await child.succeeded();
    } finally {
      child.kill();
      await server.close();
    }
  });
}

test("buffered packets are returned at once, without waiting for another batch, across batches; then the clean end gives null", {
  timeout: 30_000,
}, async () => {
  const { server, name } = await PacketServer.create();
  const child = new Child("packet-consumer.ts", { PROTOCHAN_NAME: name, MODE: "pause" });
  try {
    const conn = await server.accept({ timeoutMs: 20_000 });
    const connected = await child.next("connected");
    assert.equal(connected.before, 0, "tryReceivePackets() before any batch: []");
    await conn.send(Array.from({ length: 10 }, (_, i) => makePacket(i)));
    // No further batch until the child has taken all 10 in pieces of at most 3.
    const drained = await child.next("drained");
    assert.deepEqual(drained.sizes, [3, 3, 3, 1]);
    assert.equal(drained.empty, 0, "nothing buffered: tryReceivePackets() gives []");
    // Both batches and the end in one turn, so they leave in one socket write
    // and are buffered together at the child.
    await Promise.all([
      conn.send(Array.from({ length: 5 }, (_, i) => makePacket(10 + i))),
      conn.send(Array.from({ length: 5 }, (_, i) => makePacket(15 + i))),
      conn.end(),
    ]);
    const done = await child.next("done");
    assert.deepEqual({ rest: done.rest, end: done.end, after: done.after }, { rest: 10, end: null, after: null });
    await child.succeeded();
  } finally {
    child.kill();
    await server.close();
  }
});
