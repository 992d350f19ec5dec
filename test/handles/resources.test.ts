// Issue #3 / ipc-channel #240: received channels cost no file descriptor and
// leave nothing behind once closed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { AnyChannel, channel, connect } from "protochan";
import { defaultRouter } from "../../src/routing/process-router.js";
import { Child } from "../helpers/child.js";

const gc = (globalThis as { gc?: () => void }).gc;
const fds = () => readdirSync("/proc/self/fd").length;

async function moveChannels(control: Awaited<ReturnType<typeof connect<unknown>>>, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const [tx, rx] = channel();
    tx.send(i);
    if (!control.send({ rx })) await control.ready();
    tx.send(i + 1);
    tx.close();
  }
}

test("10,000 channels created, moved to another process and closed: fds and heap return to baseline", { timeout: 120_000 }, async () => {
  assert.ok(gc !== undefined, "run with node --expose-gc (npm test does)");
  const N = 10_000;
  const WARMUP = 500;
  const child = new Child("handles.ts", { MODE: "sink", COUNT: String(N + WARMUP), NODE_OPTIONS: "--expose-gc" });
  const control = await connect(AnyChannel, (await child.next("listening")).name as string);
  await moveChannels(control, WARMUP); // warm up code paths and pools before the baseline
  await control.flush();
  await new Promise((r) => setImmediate(r));
  gc?.();
  const base = { fds: fds(), heap: process.memoryUsage().heapUsed };

  await moveChannels(control, N);
  control.close();
  const report = await child.next("done", 90_000);
  assert.equal(report.done, N + WARMUP);
  // The child: everything it received is closed and forgotten.
  assert.deepEqual({ routes: report.routes, ports: report.ports, forwards: report.forwards }, { routes: 0, ports: 0, forwards: 0 });
  await child.succeeded();

  gc?.();
  const router = defaultRouter();
  assert.equal(router.ports.size, 0, "ports left in this process");
  assert.equal(router.forwards.size, 0, "forwards left in this process");
  // Margins: no fd per channel (10,000 would show), heap within 8 MB of baseline.
  assert.ok(fds() <= base.fds + 2, `fds ${base.fds} -> ${fds()}`);
  const grown = process.memoryUsage().heapUsed - base.heap;
  assert.ok(grown < 8 << 20, `heap grew by ${(grown / 2 ** 20).toFixed(1)} MB over 10,000 channels`);
  console.log(`# fds ${base.fds} -> ${fds()}, heap ${(grown / 2 ** 20).toFixed(2)} MB, child fds ${report.fds}`);
});
