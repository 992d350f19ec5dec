// waitFor(), under every wait with a deadline or a signal: a wait that is
// answered at once (something was queued) settles with the answer and leaves
// no listener or timer behind that could withdraw a later wait.
import { test } from "node:test";
import assert from "node:assert/strict";
import { waitFor } from "../../src/ends/wait.js";

test("a wait answered at once, with a signal, resolves with its answer", { timeout: 5_000 }, async () => {
  const abort = new AbortController();
  let cancels = 0;
  const value = await waitFor<number>("test", { signal: abort.signal }, (resolve) => {
    resolve(7);
    return () => cancels++;
  });
  assert.equal(value, 7);
  abort.abort();
  assert.equal(cancels, 0, "aborting afterwards withdraws nothing");
});

test("a wait answered at once leaves no timer that withdraws it later", { timeout: 5_000 }, async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  let cancels = 0;
  const value = await waitFor<string>("test", { timeoutMs: 10 }, (resolve) => {
    resolve("now");
    return () => cancels++;
  });
  assert.equal(value, "now");
  t.mock.timers.tick(100);
  assert.equal(cancels, 0);
});

test("a wait that is not answered still times out and withdraws itself", { timeout: 5_000 }, async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  let cancels = 0;
  const waiting = waitFor<string>("test", { timeoutMs: 10 }, () => () => cancels++);
  t.mock.timers.tick(10);
  await assert.rejects(waiting, { code: "TIMEOUT" });
  assert.equal(cancels, 1);
});
