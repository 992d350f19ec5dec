// Issue #3: a receiver set over 100 receivers fed from another process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AnyChannel, channel, connect, ReceiverSet, type Sender } from "protochan";
import { Child } from "../helpers/child.js";

test("receiver set with 100 receivers: messages tagged correctly, each closure reported once", { timeout: 30_000 }, async () => {
  const child = new Child("handles.ts", { MODE: "fan-in" });
  const control = await connect(AnyChannel, (await child.next("listening")).name as string);
  const set = new ReceiverSet();
  const idOf = new Map<number, number>(); // set id -> channel number
  const senders: Sender<unknown>[] = [];
  for (let n = 0; n < 100; n++) {
    const [tx, rx] = channel();
    idOf.set(set.add(rx), n);
    senders.push(tx);
  }
  // The child gets every sender, sends "<n>:<k>" on random ones, then closes them all.
  control.send({ senders: senders.slice(0, 50) }); // at most 64 channel ends per message
  control.send({ senders: senders.slice(50) });
  for (const s of senders) s.close();
  const got = new Map<number, number>();
  const closedOnce = new Set<number>();
  while (set.size > 0) {
    for (const ev of await set.select({ timeoutMs: 10_000 })) {
      const n = idOf.get(ev.id)!;
      if (ev.kind === "closed") {
        assert.ok(!closedOnce.has(n), `closure of ${n} reported twice`);
        closedOnce.add(n);
        continue;
      }
      const [channelNo, k] = String(ev.value).split(":").map(Number);
      assert.equal(channelNo, n, "message tagged with the wrong receiver");
      assert.equal(k, (got.get(n) ?? 0) + 1, "out of order within a channel");
      got.set(n, k!);
    }
  }
  assert.equal(closedOnce.size, 100);
  const { counts } = await child.next("sent");
  assert.deepEqual([...Array(100).keys()].map((n) => got.get(n) ?? 0), counts);
  assert.deepEqual(await set.select(), []);
  control.close();
  await child.succeeded();
});
