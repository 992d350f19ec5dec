// Packet streaming: backpressure and pipeFrom. A slow consumer with
// maxBufferedBatches keeps both processes' memory bounded while 200 MB flow
// (the producer pipes a Readable, so backpressure reaches the source);
// pipeFrom() of an async generator and of a Readable delivers everything,
// and a lone packet goes out after the flush interval instead of waiting for
// its batch to fill.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PacketClient } from "protochan";
import { Child } from "../helpers/child.js";
import { checkPacket } from "./fixtures.js";

const MB = 1e6;

test("slow consumer, maxBufferedBatches 4: 200 MB flow, both processes' memory stays bounded", { timeout: 90_000 }, async () => {
  const gc = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --expose-gc` };
  const producer = new Child("packet-producer.ts", { MODE: "flood", TOTAL_MB: "200", ...gc });
  let consumer: Child | undefined;
  try {
    const { name } = await producer.next("listening");
    consumer = new Child("packet-consumer.ts", { PROTOCHAN_NAME: name as string, MODE: "flood", ...gc });
    await consumer.next("connected");
    producer.tell("go");
    consumer.tell("go");
    const done = await consumer.next("done", 80_000);
    const sent = await producer.next("done", 20_000);
    const count = Math.ceil((200 * MB) / 1400);
    assert.equal(done.count, count);
    assert.equal(sent.sent, count);
    assert.equal(done.bytes, count * 1400);
    // 4 batches of ≤ 128 KiB may wait, + the one being read + the one crossing the window.
    assert.ok((done.maxBuffered as number) <= 6, `the consumer held ${done.maxBuffered} batches`);
    const consumerGrowth = (done.maxRetained as number) - (done.base as number);
    const producerGrowth = (sent.maxRetained as number) - (sent.base as number);
    // Unbounded buffering would retain a large part of the 200 MB, the default
    // 8 MiB window 8 MB or more; this window is 4 × 128 KiB.
    assert.ok(consumerGrowth < 6 * MB, `consumer retained ${(consumerGrowth / MB).toFixed(1)} MB more`);
    assert.ok(producerGrowth < 6 * MB, `producer retained ${(producerGrowth / MB).toFixed(1)} MB more`);
    await producer.succeeded();
    await consumer.succeeded();
    console.log(
      `consumer +${(consumerGrowth / MB).toFixed(2)} MB, producer +${(producerGrowth / MB).toFixed(2)} MB, max buffered ${done.maxBuffered}`,
    );
  } finally {
    producer.kill();
    consumer?.kill();
  }
});

for (const mode of ["pipe-gen", "pipe-readable"]) {
  test(`pipeFrom(${mode === "pipe-gen" ? "an async generator" : "an object-mode Readable"}): a lone packet is flushed, then all the rest in order`, {
    timeout: 30_000,
  }, async () => {
    const count = 20_000;
    const child = new Child("packet-producer.ts", { MODE: mode, COUNT: String(count) });
    try {
      const { name } = await child.next("listening");
      const client = await PacketClient.connect(name as string, { timeoutMs: 20_000 });
      // The source yields packet 0 and then waits for us: it must arrive alone, by the flush interval.
      const lone = await client.receivePackets(1000, { timeoutMs: 10_000 });
      assert.equal(lone?.length, 1);
      assert.equal(checkPacket(lone![0]!, 0), undefined);
      child.tell("more");
      let n = 1;
      let batches = 0;
      for await (const batch of client.batches()) {
        assert.ok(batch.length <= 500, `a batch of ${batch.length}`);
        batches++;
        for (const p of batch) assert.equal(checkPacket(p, n++), undefined);
      }
      assert.equal(n, count);
      assert.ok(batches >= (count - 1) / 500, `${batches} batches`);
      assert.deepEqual((await child.next("done")).sent, count);
      await child.succeeded();
    } finally {
      child.kill();
    }
  });
}
