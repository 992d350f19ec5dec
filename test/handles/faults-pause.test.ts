// Issue #11: a proxy that is paused (SIGSTOP) while a moved receiver's stream
// goes round it only delays the stream: the sender stops on its window, and
// nothing is lost, duplicated or reordered; no connection fails.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { channel } from "protochan";
import type { Child } from "../helpers/child.js";
import { Pump, Sink, inLanes, killChildren, startProxy, switchedTo } from "./proxy-faults.js";

const LANES = 4;
after(killChildren);

/**
 * A moves a receiver to B, B moves it on to C; A's stream switches to the
 * A–C connection, and right then B stops for `pauseMs` — before it passed on
 * the handoff, so C holds A's new messages back until B's older ones come.
 */
async function pausedTrial(sink: Sink, b: Child, toB: ReturnType<typeof channel>[0], trial: number, pauseMs: number): Promise<Paused> {
  const [tx, rx] = channel();
  const pump = new Pump(tx);
  pump.burst(500); // queued here, moved with the receiver
  let atSwitch = 0;
  const direct = switchedTo(tx, sink.link, () => {
    b.kill("SIGSTOP");
    atSwitch = pump.sent;
  });
  toB.send({ rx, trial });
  pump.start();
  await direct;
  await sleep(pauseMs); // the pause is what is tested
  // Held back at C, A's messages count against its window: A waits instead of C giving up.
  const paused = { held: pump.sent - atSwitch, stopped: pump.waiting };
  b.kill("SIGCONT");
  await b.next("forwarded");
  await pump.more(2_000);
  await pump.finish();
  const result = await sink.result(trial);
  assert.equal(pump.gone, undefined, `trial ${trial}: the sender was told its receiver is gone`);
  assert.deepEqual(result, { trial, last: pump.sent, reason: "closed", event: "result" }, `trial ${trial}`);
  await sink.ping();
  return paused;
}

/** What A sent on the direct path while B was stopped (C held it back), and whether its window stopped it. */
interface Paused {
  readonly held: number;
  readonly stopped: boolean;
}

/** More than the 65,536 messages C used to hold back before it failed the connection. */
const OLD_CAP = 1 << 16;

test("a proxy paused for 2 s, 20 times: every message once and in order, no connection failed", { timeout: 80_000 }, async (t) => {
  const sinks = await Promise.all(Array.from({ length: LANES }, () => Sink.start()));
  const proxies = await Promise.all(sinks.map((sink) => startProxy(sink)));
  const paused: Paused[] = [];
  await inLanes(LANES, 20, async (lane, trial) => {
    paused.push(await pausedTrial(sinks[lane]!, proxies[lane]!.child, proxies[lane]!.toB, trial, 2_000));
  });
  // B stopped before A's HANDOFF left A, so everything A sent after its switch waited at C.
  const held = paused.map((p) => p.held).sort((x, y) => x - y);
  t.diagnostic(
    `held back at C: ${held[0]}..${held.at(-1)} messages; sender stopped by its window in ${paused.filter((p) => p.stopped).length}/20`,
  );
  assert.ok(held.filter((n) => n > OLD_CAP).length >= 5, `too few trials held more than ${OLD_CAP} messages: ${held.join(", ")}`);
  for (const [lane, sink] of sinks.entries()) {
    await sink.ping();
    proxies[lane]!.toB.close();
    sink.stop();
  }
  killChildren();
});

test("a proxy paused for 5 s only delays the stream", { timeout: 40_000 }, async () => {
  const sink = await Sink.start();
  const { child, toB } = await startProxy(sink);
  // How many were held depends on how much of the window the old path still had; the window stopped A.
  const { stopped } = await pausedTrial(sink, child, toB, 0, 5_000);
  assert.ok(stopped, "the sender was not stopped by flow control during the pause");
  toB.close();
  sink.stop();
  killChildren();
});
