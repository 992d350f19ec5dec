// Issue #3: receivers move between real processes while their sender keeps sending.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AnyChannel, channel, connect } from "protochan";
import { defaultRouter } from "../../src/routing/process-router.js";
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

test(
  "a receiver that goes to B and comes back to A while C sends on a sender A passed on: every message once, in order, then disconnection",
  T,
  async () => {
    const b = new Child("handles.ts", { MODE: "bounce" });
    const c = new Child("handles.ts", { MODE: "hold", COUNT: "3000", THEN: "close" });
    const [toB, toC] = await Promise.all([
      b.next("listening").then((e) => connect(AnyChannel, e.name as string)),
      c.next("listening").then((e) => connect(AnyChannel, e.name as string)),
    ]);
    const [tx, rx] = channel();
    const [backTx, backRx] = channel();
    for (let i = 1; i <= 1_000; i++) if (!tx.send(`a${i}`)) await tx.ready();
    // In one turn: the receiver leaves for B, and a sender of it leaves for C. The clone's stream
    // opens back through here while the receiver is away, and follows it back.
    toB.send({ rx, back: backTx });
    backTx.close();
    toC.send({ tx });
    const { rx: home } = (await backRx.recv({ timeoutMs: 20_000 })) as { rx: typeof rx };
    await b.next("bounced");
    for (let i = 1_001; i <= 2_000; i++) if (!tx.send(`a${i}`)) await tx.ready();
    tx.close();
    let fromA = 0;
    let fromC = 0;
    for await (const v of home) {
      if (typeof v === "string") assert.equal(v, `a${++fromA}`, "A's stream out of order");
      else assert.equal(v, ++fromC, "C's stream out of order");
    }
    // The loop ended on a clean disconnection: both streams closed and drained.
    assert.deepEqual({ fromA, fromC }, { fromA: 2_000, fromC: 3_000 });
    assert.equal((await c.next("holding")).what, "sender");
    c.kill("SIGKILL");
    b.tell("quit");
    const left = await b.next("left");
    assert.equal(left.forwards, 0, "B still proxies streams of the receiver that left it");
    await b.succeeded();
    toB.close();
    toC.close();
  },
);
