// Issue #11: a proxy killed (SIGKILL) while a moved receiver's stream goes
// round it: the A–C connection and a channel of its own survive; the stream
// ends with connection-lost after a contiguous prefix, at both ends.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { channel, type Sender } from "protochan";
import type { Child } from "../helpers/child.js";
import { Pump, Sink, inLanes, killChildren, startProxy, switchedTo } from "./proxy-faults.js";

const LANES = 4;
const TRIALS = 20;
after(killChildren);

/** Where B dies, by trial: once it passed the receiver on, at A's switch past it, or a little after. */
const KILL_AT = ["forwarded", "switch", "after-switch"] as const;

async function killedTrial(sink: Sink, b: Child, toB: Sender<unknown>, trial: number): Promise<string> {
  const at = KILL_AT[trial % KILL_AT.length]!;
  const [tx, rx] = channel();
  const pump = new Pump(tx);
  pump.burst(500);
  // At the switch itself: A's HANDOFF has not left A, so it dies with B.
  const direct = switchedTo(tx, sink.link, () => at === "switch" && b.kill("SIGKILL"));
  toB.send({ rx, trial });
  pump.start();
  await b.next("forwarded");
  if (at === "forwarded") b.kill("SIGKILL");
  else await Promise.race([direct, b.exited]);
  if (at === "after-switch") {
    await pump.more(2_000);
    b.kill("SIGKILL");
  }
  await b.exited;
  // The stream goes on after the kill. Once C has dropped B's connection, a GONE
  // it owes A is ahead of the next pong on the A–C connection.
  const ended = await sink.child.next("client-ended");
  assert.deepEqual([ended.reason, ended.ping], ["connection-lost", false]);
  await sink.ping();
  await pump.finish();
  const result = await sink.result(trial);
  const label = `trial ${trial} (killed at ${at}): ${JSON.stringify({ ...result, sent: pump.sent, gone: pump.gone?.reason })}`;
  assert.equal(result.disorder, undefined, label);
  if (pump.gone !== undefined) {
    // The sender heard that the stream broke: so did the receiver, after a prefix of what was sent.
    assert.equal(pump.gone.reason, "connection-lost", label);
    assert.equal(result.reason, "connection-lost", label);
    assert.ok(result.last < pump.sent, label);
  } else {
    // Nothing was lost: B was already bypassed when it died.
    assert.deepEqual([result.reason, result.last], ["closed", pump.sent], label);
  }
  // The A–C connection carries on: its own channel still works, both ways.
  await sink.ping();
  return pump.gone === undefined ? "bypassed" : "lost";
}

test(`a proxy killed mid-move, ${TRIALS} times: the A–C connection survives, broken streams end with connection-lost after a prefix`, {
  timeout: 80_000,
}, async (t) => {
  const sinks = await Promise.all(Array.from({ length: LANES }, () => Sink.start()));
  const outcomes: string[] = [];
  await inLanes(LANES, TRIALS, async (lane, trial) => {
    const { child, toB } = await startProxy(sinks[lane]!);
    outcomes.push(`${KILL_AT[trial % KILL_AT.length]}:${await killedTrial(sinks[lane]!, child, toB, trial)}`);
    toB.close();
  });
  t.diagnostic(`outcomes: ${outcomes.sort().join(" ")}`);
  // Killed before A's HANDOFF passed it, B always takes the stream down with it.
  assert.ok(
    outcomes.filter((o) => o === "switch:lost").length === outcomes.filter((o) => o.startsWith("switch")).length,
    outcomes.join(" "),
  );
  for (const sink of sinks) {
    await sink.ping();
    sink.stop();
  }
  killChildren();
});
