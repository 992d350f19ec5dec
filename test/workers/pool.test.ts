// Issue #6: worker sets — dispatch, queueing, crashes, timeouts, restarts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { QueueFullError, TimeoutError, WorkerCrashedError } from "protochan";
import { DEFAULT_OUTPUT_LINE_LIMIT } from "../../src/workers/worker-set.js";
import { startCalculators } from "./harness.js";

const T = { timeout: 90_000 };

test("4 workers, 1,000 unary calls: all answered, spread over every worker; busy workers queue calls", T, async () => {
  const { set } = startCalculators({ count: 4 });
  await set.ready({ timeoutMs: 30_000 });
  let maxQueued = 0;
  set.on("queue", ({ length }) => (maxQueued = Math.max(maxQueued, length)));
  const results = await Promise.all(Array.from({ length: 1_000 }, (_, i) => set.client.add({ a: BigInt(i), b: 1000n })));
  for (const [i, r] of results.entries()) assert.equal(r.sum, BigInt(i) + 1000n);
  assert.deepEqual(new Set(results.map((r) => r.workerPid)), new Set(set.pids));
  assert.equal(set.pids.length, 4);
  assert.ok(maxQueued > 0, "with 1,000 calls at once some had to wait in the queue");
  await set.close();
});

test("queue full: a clear QueueFullError; queued calls still complete", T, async () => {
  const { set, printed } = startCalculators({ count: 1, queueLimit: 2 });
  await set.ready({ timeoutMs: 30_000 });
  const running = set.client.work({ millis: 300, tag: "running" });
  await printed("started running");
  const queued = [set.client.work({ millis: 1, tag: "q1" }), set.client.work({ millis: 1, tag: "q2" })];
  await assert.rejects(
    set.client.work({ millis: 1, tag: "q3" }),
    (err: unknown) => err instanceof QueueFullError && err.code === "QUEUE_FULL" && /2 calls are queued/.test(err.message),
  );
  assert.deepEqual(
    (await Promise.all([running, ...queued])).map((r) => r.tag),
    ["running", "q1", "q2"],
  );
  await set.close();
});

test(
  "SIGKILL mid-call: a plain call fails with WorkerCrashedError, an idempotent one succeeds elsewhere; the pool refills",
  T,
  async () => {
    const { set, printed } = startCalculators({ count: 2, backoff: { baseMs: 1, maxMs: 10 } });
    await set.ready({ timeoutMs: 30_000 });
    const plain = set.client.work({ millis: 5_000, tag: "plain" });
    const plainWorker = await printed("started plain");
    // biome-ignore lint/complexity/useLiteralKeys: reads the private worker table
    const pidOf = (id: number) => set.pids[[...set["workers"].keys()].indexOf(id)]!;
    process.kill(pidOf(plainWorker), "SIGKILL");
    await assert.rejects(plain, (err: unknown) => err instanceof WorkerCrashedError && err.code === "WORKER_CRASHED");

    await set.ready({ timeoutMs: 30_000 });
    const idem = set.client.workIdempotent({ millis: 200, tag: "idem" });
    const first = await printed("started idem");
    process.kill(pidOf(first), "SIGKILL");
    const result = await idem;
    assert.equal(result.tag, "idem");
    assert.notEqual(result.workerPid, undefined);
    await set.ready({ timeoutMs: 30_000 });
    assert.equal(set.size, 2);
    await set.close();
  },
);

test("a worker that crashes while idle is replaced without any call", T, async () => {
  const { set } = startCalculators({ count: 2, backoff: { baseMs: 1, maxMs: 10 } });
  await set.ready({ timeoutMs: 30_000 });
  const [victim] = set.pids;
  const exited = once(set, "exit");
  const replaced = once(set, "ready");
  process.kill(victim!, "SIGKILL");
  const [exit] = (await exited) as [{ pid: number; expected: boolean }];
  assert.deepEqual([exit.pid, exit.expected], [victim, false]);
  await replaced;
  assert.equal(set.size, 2);
  assert.ok(!set.pids.includes(victim!));
  await set.close();
});

test("timeout with action restart: the call fails, its worker is killed and replaced", T, async () => {
  const { set, printed } = startCalculators({ count: 1, callTimeoutMs: 300, onTimeout: "restart", backoff: { baseMs: 1, maxMs: 10 } });
  await set.ready({ timeoutMs: 30_000 });
  const [before] = set.pids;
  const slow = set.client.work({ millis: 10_000, tag: "slow" });
  await printed("started slow");
  // The worker set's limit, not a caller's deadline (the caller gave none): the message names it.
  await assert.rejects(slow, (err: unknown) => err instanceof TimeoutError && /Work took longer than 300 ms on worker 1/.test(err.message));
  await once(set, "ready");
  assert.notEqual(set.pids[0], before);
  assert.equal((await set.client.add({ a: 2n, b: 3n })).sum, 5n);
  await set.close();
});

test("timeout with action error: the call fails, the worker is quarantined until its handler finishes", T, async () => {
  const { set, printed } = startCalculators({ count: 1, callTimeoutMs: 300, onTimeout: "error" });
  await set.ready({ timeoutMs: 30_000 });
  const [pid] = set.pids;
  // The host gives up at 300 ms; the handler keeps working until 900 ms.
  const slow = set.client.work({ millis: 900, tag: "slow" });
  await printed("started slow");
  await assert.rejects(slow, TimeoutError);
  assert.equal(set.idle, 0, "the timed-out worker is not idle");
  const next = set.client.add({ a: 1n, b: 1n });
  let nextDone = false;
  void next.then(() => (nextDone = true));
  await printed("finished slow");
  // Had the call gone to the worker at the timeout, it would have been answered ~600 ms ago.
  assert.equal(nextDone, false, "a call reached the quarantined worker while it was busy");
  const r = await next;
  assert.equal(r.sum, 2n);
  assert.equal(r.workerPid, pid, "same worker, after its handler finished");
  await set.close();
});

test("crash storm: 50 crashes in a row — backoff grows, the restart limit engages, nothing spins", T, async () => {
  // Four workers crash together, so each round asks for four replacements at once: more than
  // the limit of 3 per 500 ms however slowly a loaded machine starts them (with a limit of 5 a
  // round stayed under it when startup took longer than the window).
  const { set } = startCalculators({
    count: 4,
    entry: new URL("../children/crash-at-start.mjs", import.meta.url).pathname,
    execArgv: [],
    backoff: { baseMs: 2, maxMs: 40 },
    restartLimit: { count: 3, windowMs: 500 },
  });
  const delays: number[] = [];
  let limited = 0;
  const spawns: number[] = [];
  set.on("backoff", ({ delayMs }) => delays.push(delayMs));
  set.on("restart-limited", () => limited++);
  set.on("spawn", () => spawns.push(Date.now()));
  let crashes = 0;
  await new Promise<void>((resolve) => set.on("exit", () => ++crashes === 50 && resolve()));
  await set.close();
  assert.deepEqual(delays.slice(0, 6), [2, 4, 8, 16, 32, 40]);
  assert.ok(limited > 0, "the restart limit never engaged");
  // No more than the limit (plus the first start) within any window.
  for (const t of spawns) assert.ok(spawns.filter((s) => s >= t && s < t + 500).length <= 3 + 4, "spawned too fast");
});

test("restart() replaces every worker without growing the pool; close() drains running calls", T, async () => {
  const { set, printed } = startCalculators({ count: 2 });
  await set.ready({ timeoutMs: 30_000 });
  const before = set.pids;
  let alive = 2;
  let maxAlive = 2;
  set.on("spawn", () => (maxAlive = Math.max(maxAlive, ++alive)));
  set.on("exit", () => alive--);
  const during = set.client.work({ millis: 300, tag: "during-restart" });
  await printed("started during-restart");
  await set.restart();
  assert.equal((await during).tag, "during-restart");
  assert.equal(maxAlive, 2, "the pool grew during restart");
  assert.equal(set.pids.filter((p) => before.includes(p)).length, 0);
  const draining = set.client.work({ millis: 300, tag: "draining" });
  await printed("started draining");
  await set.close();
  assert.equal((await draining).tag, "draining");
  assert.equal(set.size, 0);
});

/** `promise`, or a clear failure after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

test(
  "a hung worker is restarted by its own time limit although every caller's deadline is shorter; calls after it succeed",
  T,
  async () => {
    const { set, printed } = startCalculators({ count: 1, callTimeoutMs: 1_000, onTimeout: "restart", backoff: { baseMs: 1, maxMs: 10 } });
    await set.ready({ timeoutMs: 30_000 });
    const [before] = set.pids;
    const timedOut = once(set, "timeout") as Promise<[{ action: string }]>;
    const hung = set.client.work({ millis: 1, tag: "hang" }, { timeoutMs: 200 });
    await printed("started hang");
    await assert.rejects(hung, TimeoutError);
    // Callers with short deadlines keep coming while the worker hangs: their cancels must not free it.
    const during = Array.from({ length: 5 }, (_, i) => set.client.add({ a: BigInt(i), b: 1n }, { timeoutMs: 200 }).catch(() => undefined));
    const [info] = await within(timedOut, 10_000, "the hung worker's own time limit");
    assert.equal(info.action, "restart");
    await Promise.all(during);
    await set.ready({ timeoutMs: 30_000 });
    assert.notEqual(set.pids[0], before, "the hung worker was not replaced");
    const after = await Promise.all(Array.from({ length: 35 }, (_, i) => set.client.add({ a: BigInt(i), b: 1n }, { timeoutMs: 10_000 })));
    assert.deepEqual(
      after.map((r) => r.sum),
      Array.from({ length: 35 }, (_, i) => BigInt(i) + 1n),
    );
    await set.close();
  },
);

test("ready() after a SIGKILL resolves only once every listed worker can take a call", T, async () => {
  const { set } = startCalculators({ count: 2, backoff: { baseMs: 1, maxMs: 10 } });
  await set.ready({ timeoutMs: 30_000 });
  for (const pid of set.pids) process.kill(pid, "SIGKILL");
  await set.ready({ timeoutMs: 30_000 });
  // Plain calls (not retried elsewhere): one sent to a dead worker would fail.
  const sums = await Promise.all([set.client.add({ a: 1n, b: 2n }), set.client.add({ a: 3n, b: 4n })]);
  assert.deepEqual(
    sums.map((r) => r.sum),
    [3n, 7n],
  );
  await set.close();
});

test("a worker writing 1 GiB to stdout without a newline: the host stays up, the line is cut at the limit", {
  timeout: 120_000,
}, async () => {
  const rssBefore = process.memoryUsage().rss;
  const { set, printed } = startCalculators({ count: 1, entry: new URL("../children/chatty-worker.ts", import.meta.url).pathname });
  const lines: { length: number; cut: boolean }[] = [];
  let peak = rssBefore;
  set.on("output", ({ line, cut }) => {
    lines.push({ length: line.length, cut });
    peak = Math.max(peak, process.memoryUsage().rss);
  });
  await printed("after");
  await set.ready({ timeoutMs: 60_000 });
  assert.deepEqual(lines.slice(0, 2), [
    { length: DEFAULT_OUTPUT_LINE_LIMIT, cut: true },
    { length: 5, cut: false },
  ]);
  assert.ok(peak - rssBefore < 256 * 1024 * 1024, `the host grew by ${(peak - rssBefore) >> 20} MiB`);
  assert.equal((await set.client.add({ a: 2n, b: 2n })).sum, 4n);
  await set.close();
});

/** Whether a process with this pid is still running. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("close() while workers are still starting resolves, and no worker outlives it", T, async () => {
  // Closed before any worker was spawned (its hello socket still being made) …
  const early = startCalculators({ count: 2 });
  let spawnedAfterClose = 0;
  const closed = early.set.close();
  early.set.on("spawn", () => spawnedAfterClose++);
  await within(closed, 20_000, "close() right after start()");
  assert.equal(spawnedAfterClose, 0, "a worker was started after close()");

  // … and closed once both are spawned but before either said hello.
  const { set } = startCalculators({ count: 2 });
  const pids: number[] = [];
  let ready = 0;
  set.on("ready", () => ready++);
  await new Promise<void>((resolve) => set.on("spawn", ({ pid }) => pids.push(pid) === 2 && resolve()));
  assert.equal(ready, 0, "a worker said hello before close(): the case is not tested");
  await within(set.close(), 30_000, "close() while both workers start");
  assert.deepEqual(
    pids.filter((pid) => alive(pid)),
    [],
  );
  // Restart after close does nothing either.
  await within(set.restart(), 5_000, "restart() after close()");
});

test("the entry may be a file: URL, as an object or as import.meta.resolve's string", T, async () => {
  const url = new URL("../children/calculator-worker.ts", import.meta.url);
  for (const entry of [url, url.href]) {
    const { set } = startCalculators({ count: 1, entry });
    const { sum } = await set.client.add({ a: 2n, b: 3n }, { timeoutMs: 30_000 });
    assert.equal(sum, 5n, String(entry));
    await set.close();
  }
});
