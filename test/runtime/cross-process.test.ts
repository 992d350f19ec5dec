// Issue #2 acceptance: typed channels between real processes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { create } from "@bufbuild/protobuf";
import { connect, DisconnectedError, FrameTooLargeError, OneShotServer, ReceiverGoneError, type ProtocolError } from "protochan";
import { PingChannel } from "../../generated/example/v1/example_chan.js";
import { PingSchema } from "../../generated/example/v1/example_pb.js";
import { Child } from "../helpers/child.js";

const T = { timeout: 60_000 };

async function serverWithChild(env: Record<string, string>) {
  const { server, name } = await OneShotServer.create(PingChannel);
  const child = new Child("sender.ts", { PROTOCHAN_NAME: name, ...env });
  return { server, child };
}

test("10,000 typed messages arrive in order, then disconnect after the queue drains", T, async () => {
  const { server, child } = await serverWithChild({ MODE: "count", COUNT: "10000" });
  const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
  assert.equal(first.seq, 1n);
  let expected = 2n;
  for await (const ping of receiver) {
    assert.equal(ping.$typeName, "example.v1.Ping");
    assert.equal(ping.seq, expected++);
  }
  assert.equal(expected, 10_001n);
  await child.succeeded();
});

test("queued messages are delivered before DisconnectedError", T, async () => {
  const { server, child } = await serverWithChild({ MODE: "count", COUNT: "50" });
  const { receiver } = await server.accept({ timeoutMs: 20_000 });
  await child.succeeded(); // the child has closed and exited: all 50 are on their way or queued
  const seen: bigint[] = [];
  for (;;) {
    try {
      seen.push((await receiver.recv({ timeoutMs: 5_000 })).seq);
    } catch (err) {
      assert.ok(err instanceof DisconnectedError, String(err));
      assert.equal(err.reason, "closed");
      break;
    }
  }
  assert.deepEqual(
    seen,
    Array.from({ length: 49 }, (_, i) => BigInt(i + 2)),
  );
});

test("a 32 MiB message crosses intact", T, async () => {
  const { server, child } = await serverWithChild({ MODE: "big" });
  const { first } = await server.accept({ timeoutMs: 20_000 });
  assert.equal(first.payload.length, 32 << 20);
  for (let i = 0; i < first.payload.length; i += 4099) assert.equal(first.payload[i], (i * 31 + 7) & 0xff);
  await child.succeeded();
});

test("4 clones and the original interleave FIFO per clone; disconnect only after all 5 close", T, async () => {
  const { server, child } = await serverWithChild({ MODE: "clones" });
  const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
  const lastSeq = new Map<string, bigint>();
  let marker = false;
  let count = 0;
  for (let ping = first; ; ) {
    if (ping.text === "marker") marker = true;
    else {
      assert.ok(!marker, "a clone's message came after the marker");
      const prev = lastSeq.get(ping.text) ?? 0n;
      assert.ok(ping.seq > prev, `${ping.text}: ${ping.seq} after ${prev}`);
      lastSeq.set(ping.text, ping.seq);
      count++;
    }
    try {
      ping = await receiver.recv({ timeoutMs: 10_000 });
    } catch (err) {
      assert.ok(err instanceof DisconnectedError);
      break;
    }
  }
  // Four clones closed before the marker was sent, yet the channel stayed up for it.
  assert.ok(marker, "marker from the last open sender arrived before disconnection");
  assert.equal(count, 1000);
  assert.deepEqual([...lastSeq.values()], [200n, 200n, 200n, 200n, 200n]);
  await child.next("closed-four");
  await child.succeeded();
});

test("messages held back by flow control go out in order once credit returns", T, async () => {
  const { server, child } = await serverWithChild({ MODE: "ignore-backpressure" });
  const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
  let n = 1;
  assert.equal(first.seq, 1n);
  for await (const p of receiver) {
    n++;
    assert.equal(p.seq, BigInt(n));
    assert.equal(p.payload.length, 64 * 1024);
    assert.equal(p.payload[12_345], n & 0xff);
  }
  assert.equal(n, 300);
  assert.ok(Number((await child.next("sent")).held) > 100, "most messages should have been held back");
  await child.succeeded();
});

test("sending to a receiver that is gone fails with ReceiverGoneError", T, async () => {
  const child = new Child("receiver.ts", { MODE: "close-after-first" });
  const { name } = await child.next("listening");
  const tx = await connect(PingChannel, name as string);
  tx.send(create(PingSchema, { seq: 1n }));
  await child.next("closed");
  const err = await tx.receiverGone;
  assert.ok(err instanceof ReceiverGoneError);
  assert.equal(err.reason, "closed");
  assert.throws(() => tx.send(create(PingSchema, { seq: 2n })), ReceiverGoneError);
  await child.succeeded();
});

test("SIGKILL of the sending child: the receiver errors within 1 s", T, async () => {
  const { server, child } = await serverWithChild({ MODE: "hang" });
  const { receiver } = await server.accept({ timeoutMs: 20_000 });
  await child.next("sent");
  const killedAt = performance.now();
  child.kill("SIGKILL");
  const err = await receiver.recv({ timeoutMs: 5_000 }).catch((e: unknown) => e);
  const elapsed = performance.now() - killedAt;
  assert.ok(err instanceof DisconnectedError, String(err));
  assert.equal(err.reason, "connection-lost");
  assert.ok(elapsed < 1000, `noticed after ${elapsed.toFixed(0)} ms`);
});

test("SIGKILL of the receiving child: the sender errors within 1 s", T, async () => {
  const child = new Child("receiver.ts", { MODE: "hang" });
  const { name } = await child.next("listening");
  const tx = await connect(PingChannel, name as string);
  tx.send(create(PingSchema, { seq: 1n }));
  await child.next("first");
  const killedAt = performance.now();
  child.kill("SIGKILL");
  const err = await tx.receiverGone;
  const elapsed = performance.now() - killedAt;
  assert.equal(err.reason, "connection-lost");
  assert.ok(elapsed < 1000, `noticed after ${elapsed.toFixed(0)} ms`);
  assert.throws(() => tx.send(create(PingSchema, { seq: 2n })), ReceiverGoneError);
});

test("a wrong token is refused while the right client still gets in", T, async () => {
  const { server, name } = await OneShotServer.create(PingChannel);
  const wrong = name.slice(0, -4) + (name.endsWith("0000") ? "1111" : "0000");
  const rejected = once(server, "rejected");
  const intruder = new Child("sender.ts", { PROTOCHAN_NAME: wrong, MODE: "bad-token" });
  const refused = await intruder.next("refused");
  assert.equal(refused.code, "HANDSHAKE_REFUSED");
  assert.match(String(refused.message), /wrong token/);
  const [err] = (await rejected) as [ProtocolError];
  assert.match(err.message, /wrong token/);
  const legit = new Child("sender.ts", { PROTOCHAN_NAME: name, MODE: "count", COUNT: "3" });
  const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
  const rest: bigint[] = [];
  for await (const ping of receiver) rest.push(ping.seq);
  assert.deepEqual([first.seq, ...rest], [1n, 2n, 3n]);
  await legit.succeeded();
  await intruder.succeeded();
});

test("garbage before the handshake is refused and the server keeps waiting", T, async () => {
  const { server, name } = await OneShotServer.create(PingChannel);
  const rejected = once(server, "rejected");
  const peer = new Child("raw-peer.ts", { PROTOCHAN_NAME: name, MODE: "garbage" });
  const [err] = (await rejected) as [ProtocolError];
  assert.equal(err.code, "PROTOCOL_ERROR");
  assert.match(err.message, /wrong magic/);
  assert.match(String((await peer.next("closed")).reason), /wrong magic/);
  const legit = new Child("sender.ts", { PROTOCHAN_NAME: name, MODE: "count", COUNT: "1" });
  assert.equal((await server.accept({ timeoutMs: 20_000 })).first.seq, 1n);
  await legit.succeeded();
});

for (const [mode, check] of [
  [
    "oversized-after-hello",
    (cause: unknown) => cause instanceof FrameTooLargeError && /exceeds the maximum frame size/.test(cause.message),
  ],
  ["garbage-after-hello", (cause: unknown) => cause instanceof Error && /wrong magic/.test(cause.message)],
] as const) {
  test(`${mode}: that connection closes with a clear error, the process lives on`, T, async () => {
    const { server, name } = await OneShotServer.create(PingChannel);
    const peer = new Child("raw-peer.ts", { PROTOCHAN_NAME: name, MODE: mode });
    const err = await server.accept({ timeoutMs: 20_000 }).catch((e: unknown) => e);
    assert.ok(err instanceof DisconnectedError, String(err));
    assert.equal(err.reason, "protocol-error");
    assert.ok(check(err.cause), String(err.cause));
    const { reason } = await peer.next("closed");
    assert.ok(check(new FrameTooLargeError(String(reason))) || /wrong magic/.test(String(reason)), String(reason));
    await peer.succeeded();
    // This process still works: a fresh channel round trip.
    const again = await serverWithChild({ MODE: "count", COUNT: "2" });
    assert.equal((await again.server.accept({ timeoutMs: 20_000 })).first.seq, 1n);
    await again.child.succeeded();
  });
}

test("backpressure: a slow reader keeps the sender's and receiver's memory bounded", T, async () => {
  const { server, child } = await serverWithChild({ MODE: "slow-reader", NODE_OPTIONS: "--expose-gc" });
  const { receiver } = await server.accept({ timeoutMs: 20_000 });
  let maxQueued = 0;
  let n = 1;
  for (;;) {
    maxQueued = Math.max(maxQueued, receiver.queued);
    await new Promise((r) => setTimeout(r, 2)); // the reader is slow on purpose
    try {
      await receiver.recv({ timeoutMs: 10_000 });
      n++;
    } catch (err) {
      assert.ok(err instanceof DisconnectedError);
      break;
    }
  }
  assert.equal(n, 200);
  const { arrayBuffers } = await child.next("peak");
  // 200 MiB flowed; the default window is 8 MiB. Allow the window, a few
  // messages in the sender's hands and socket buffers: far under 200 MiB.
  assert.ok(Number(arrayBuffers) < 32 << 20, `sender held ${arrayBuffers} bytes`);
  assert.ok(maxQueued <= 9, `receiver queued ${maxQueued} x 1 MiB`);
  await child.succeeded();
});
