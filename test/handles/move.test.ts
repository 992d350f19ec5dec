// Issue #3: receivers move between real processes while their sender keeps sending.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AnyChannel, channel, connect } from "protochan";
import { defaultRouter } from "../../src/connection/net-router.js";
import { Child } from "../helpers/child.js";

const T = { timeout: 60_000 };

/** Resolves once this process's router has switched `n` streams to new routes in all. */
function switchedTimes(n: number): Promise<void> {
  const router = defaultRouter();
  return new Promise((resolve) => {
    const check = () => {
      if (router.stats.switched < n) return;
      router.onSwitch = undefined;
      resolve();
    };
    router.onSwitch = check;
    check();
  });
}

async function sendRange(tx: { send(v: unknown): boolean; ready(): Promise<void> }, from: number, to: number) {
  for (let i = from; i <= to; i++) if (!tx.send(i)) await tx.ready();
}

test("a receiver moved A→B→C mid-stream gets all messages once, in order; then A→C bypasses B, even after B dies", T, async () => {
  const b = new Child("handles.ts", { MODE: "relay" });
  const c = new Child("handles.ts", { MODE: "read" });
  const [bName, cName] = [(await b.next("listening")).name as string, (await c.next("listening")).name as string];
  const toB = await connect(AnyChannel, bName);

  const [tx, rx] = channel();
  const switchedBefore = defaultRouter().stats.switched;
  await sendRange(tx, 1, 2_000); // queued here, then moved with the receiver
  toB.send({ rx });
  await sendRange(tx, 2_001, 4_000); // in flight while B holds it
  assert.throws(() => rx.tryRecv(), { code: "ENDPOINT_MOVED" });
  toB.send({ forwardTo: cName });
  await b.next("forwarded");
  await sendRange(tx, 4_001, 7_000); // while B forwards to C and the proxies are removed

  // A's stream switched twice: off the local proxy, then off B.
  await switchedTimes(switchedBefore + 2);
  b.tell("stats");
  const before = Number((await b.next("stats")).forwarded);
  await sendRange(tx, 7_001, 9_000);
  await tx.flush();
  // B is still up, but nothing more passed through it.
  b.tell("stats");
  assert.equal(Number((await b.next("stats")).forwarded), before, "A→C traffic went through B");
  b.kill("SIGKILL");
  await b.exited;
  await sendRange(tx, 9_001, 10_000);
  tx.close();
  const received = await c.next("received");
  assert.deepEqual({ count: received.count, last: received.last }, { count: 10_000, last: 10_000 });
  assert.ok(before > 0, "B forwarded while it held the receiver");
  await c.succeeded();
  toB.close();
});
