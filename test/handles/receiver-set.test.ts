// Issue #3: a receiver set over 100 receivers fed from another process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AbortedError, AnyChannel, channel, connect, ReceiverSet, TimeoutError, type Sender } from "protochan";
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
  assert.deepEqual(
    [...Array(100).keys()].map((n) => got.get(n) ?? 0),
    counts,
  );
  control.close();
  await child.succeeded();
});

test("select() on a set whose last receiver closed and left waits out its timeout, then its signal", { timeout: 30_000 }, async () => {
  const child = new Child("handles.ts", { MODE: "fan-in" });
  const control = await connect(AnyChannel, (await child.next("listening")).name as string);
  const set = new ReceiverSet();
  const senders: Sender<unknown>[] = [];
  for (let n = 0; n < 2; n++) {
    const [tx, rx] = channel();
    set.add(rx);
    senders.push(tx);
  }
  // The child sends on both senders from its own process, then closes them.
  control.send({ senders: senders.slice(0, 1) });
  control.send({ senders: senders.slice(1) });
  for (const s of senders) s.close();
  let closed = 0;
  while (closed < 2) for (const ev of await set.select({ timeoutMs: 10_000 })) if (ev.kind === "closed") closed++;
  assert.equal(set.size, 0);
  const t0 = performance.now();
  await assert.rejects(set.select({ timeoutMs: 300 }), (err: unknown) => err instanceof TimeoutError);
  assert.ok(performance.now() - t0 >= 290, `select() returned after ${performance.now() - t0} ms, before its timeout`);
  const ac = new AbortController();
  const aborted = set.select({ signal: ac.signal });
  setTimeout(() => ac.abort(), 100);
  await assert.rejects(aborted, (err: unknown) => err instanceof AbortedError);
  // An empty set still wakes for a receiver added while it waits.
  const [tx, rx] = channel();
  const woken = set.select({ timeoutMs: 10_000 });
  tx.send("late");
  set.add(rx);
  assert.deepEqual(
    (await woken).map((ev) => ev.kind),
    ["message"],
  );
  tx.close();
  set.close();
  control.close();
  await child.succeeded();
});

test("a recv() pending when its receiver joins a set is refused: the set gets every message", { timeout: 5_000 }, async () => {
  const [tx, rx] = channel();
  const pending = rx.recv();
  const set = new ReceiverSet();
  const id = set.add(rx);
  await assert.rejects(pending, (err: Error) => err.name === "EndpointMovedError");
  tx.send("first");
  const events = await set.select({ timeoutMs: 2_000 });
  assert.deepEqual(events, [{ kind: "message", id, value: "first" }]);
  tx.close();
  set.close();
});
