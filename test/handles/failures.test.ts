// Issue #3: processes holding moved endpoints die; misuse and bad peers are refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AnyChannel, channel, connect, DisconnectedError, OneShotServer, ReceiverGoneError } from "protochan";
import { defaultRouter } from "../../src/routing/process-router.js";
import { Child } from "../helpers/child.js";

const T = { timeout: 30_000 };

async function holder(env: Record<string, string> = {}) {
  const child = new Child("handles.ts", { MODE: "hold", ...env });
  const tx = await connect(AnyChannel, (await child.next("listening")).name as string);
  return { child, tx };
}

test("SIGKILL of the process holding a moved receiver: senders elsewhere get ReceiverGoneError", T, async () => {
  const { child, tx: control } = await holder();
  const [tx, rx] = channel();
  const clone = tx.clone();
  control.send({ rx });
  assert.equal((await child.next("holding")).what, "receiver");
  tx.send("before the kill");
  child.kill("SIGKILL");
  const err = await tx.receiverGone;
  assert.ok(err instanceof ReceiverGoneError);
  assert.equal(err.reason, "connection-lost");
  assert.throws(() => clone.send("after"), ReceiverGoneError);
});

test("SIGKILL of the last sender's process: the receiver drains, then DisconnectedError", T, async () => {
  const { child, tx: control } = await holder({ COUNT: "100" });
  const [tx, rx] = channel();
  control.send({ tx });
  tx.close(); // only the clone in the child remains
  assert.equal((await child.next("holding")).what, "sender");
  child.kill("SIGKILL");
  await child.exited;
  const got: unknown[] = [];
  const err = await (async () => {
    for (;;) got.push(await rx.recv({ timeoutMs: 5_000 }));
  })().catch((e: unknown) => e);
  assert.deepEqual(
    got,
    Array.from({ length: 100 }, (_, i) => i + 1),
  );
  assert.ok(err instanceof DisconnectedError, String(err));
  assert.equal(err.reason, "connection-lost");
});

test("a process killed before it could open a sender it was sent: the receiver does not wait for it", T, async () => {
  const { child, tx: control } = await holder();
  const [tx, rx] = channel();
  control.send({ tx }); // still in this process's write buffer…
  child.kill("SIGKILL"); // …when the child dies: the clone never opens its stream
  tx.close();
  const err = await rx.recv({ timeoutMs: 5_000 }).catch((e: unknown) => e);
  assert.ok(err instanceof DisconnectedError, String(err));
  assert.equal(err.reason, "connection-lost");
});

test("misuse: sending an endpoint over itself or its own peer, using moved or closed ends, too many handles", T, async () => {
  const { child, tx: remote } = await holder();
  const [tx, rx] = channel();
  assert.throws(() => tx.send({ tx }), { code: "HANDLE_CYCLE" });
  assert.throws(() => tx.send({ rx }), { code: "HANDLE_CYCLE" });
  assert.throws(() => remote.send({ self: remote }), { code: "HANDLE_CYCLE" });
  const many = Array.from({ length: 65 }, () => tx.clone());
  assert.throws(() => remote.send({ many }), { code: "TOO_MANY_HANDLES" });
  remote.send({ rx });
  await assert.rejects(rx.recv(), { code: "ENDPOINT_MOVED" });
  assert.throws(() => rx.tryRecv(), { code: "ENDPOINT_MOVED" });
  assert.throws(() => remote.send({ again: rx }), { code: "ENDPOINT_MOVED" });
  const closed = tx.clone();
  closed.close();
  assert.throws(() => remote.send({ closed }), { code: "ENDPOINT_CLOSED" });
  for (const m of many) m.close();
  // The refused message left nothing behind: closing the last sender disconnects.
  const [tx2, rx2] = channel();
  const extra = Array.from({ length: 65 }, () => tx2.clone());
  assert.throws(() => remote.send({ extra }), { code: "TOO_MANY_HANDLES" });
  for (const e of extra) e.close();
  tx2.close();
  await assert.rejects(rx2.recv({ timeoutMs: 2_000 }), DisconnectedError);
  child.kill("SIGKILL");
});

for (const [mode, message] of [
  ["handle-out-of-range", /handle index 3 out of range/],
  ["handle-used-twice", /handle index 0 used twice/],
  ["handle-bad-kind", /unknown kind 9/],
] as const) {
  test(`a peer sending ${mode} loses its connection with a clear error; this process lives on`, T, async () => {
    const { server, name } = await OneShotServer.create(AnyChannel);
    const peer = new Child("raw-peer.ts", { PROTOCHAN_NAME: name, MODE: mode });
    const err = await server.accept({ timeoutMs: 20_000 }).catch((e: unknown) => e);
    assert.ok(err instanceof DisconnectedError, String(err));
    assert.equal(err.reason, "protocol-error");
    assert.match(String((err.cause as Error).message), message);
    assert.match(String((await peer.next("closed")).reason), message);
    await peer.succeeded();
    const [tx, rx] = channel();
    tx.send("still alive");
    assert.equal(await rx.recv(), "still alive");
  });
}

for (const [mode, reason] of [
  ["handoff-here", "connection-lost"],
  ["handoff-elsewhere", "protocol-error"],
] as const) {
  test(`a peer that hands its bootstrap stream off (${mode}): the receiver ends with ${reason}, no port is left`, T, async () => {
    const ports = defaultRouter().ports.size;
    const { server, name } = await OneShotServer.create(AnyChannel);
    const peer = new Child("raw-peer.ts", { PROTOCHAN_NAME: name, MODE: mode, CHANNEL: "protochan.any" });
    // Here: the continuation it announced can never come (the link closed with its last route).
    const err = await server.accept({ timeoutMs: 10_000 }).catch((e: unknown) => e);
    assert.ok(err instanceof DisconnectedError, String(err));
    assert.equal(err.reason, reason);
    await peer.next("closed");
    await peer.succeeded();
    assert.equal(defaultRouter().ports.size, ports, "the receiver's port was left behind");
  });
}
