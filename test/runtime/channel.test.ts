// In-process channel semantics (the same cores serve cross-process channels).
import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { AbortedError, BytesChannel, channel, DisconnectedError, EndpointClosedError, ReceiverGoneError, TimeoutError } from "protochan";
import { PingChannel } from "../../generated/example/v1/example_chan.js";
import { PingSchema } from "../../generated/example/v1/example_pb.js";

test("typed channel: values arrive as independent copies, in order", async () => {
  const [tx, rx] = channel(PingChannel);
  const msg = create(PingSchema, { seq: 1n, text: "a" });
  tx.send(msg);
  msg.text = "mutated after send";
  tx.send(create(PingSchema, { seq: 2n }));
  const first = await rx.recv();
  assert.equal(first.text, "a");
  assert.notEqual(first, msg);
  assert.equal((await rx.recv()).seq, 2n);
});

test("untyped channel carries structured values via msgpack", async () => {
  const [tx, rx] = channel();
  tx.send({ n: 1, list: [1, "two", null], nested: { big: 2n ** 70n }, when: new Date(0) });
  assert.deepEqual(await rx.recv(), { n: 1, list: [1, "two", null], nested: { big: 2n ** 70n }, when: new Date(0) });
});

test("bytes channel passes Uint8Arrays", async () => {
  const [tx, rx] = channel(BytesChannel);
  tx.send(new Uint8Array([1, 2, 3]));
  assert.deepEqual([...(await rx.recv())], [1, 2, 3]);
});

test("tryRecv, recvMany and disconnect after draining", async () => {
  const [tx, rx] = channel<unknown>(undefined as never);
  assert.equal(rx.tryRecv(), undefined);
  for (let i = 0; i < 5; i++) tx.send(i);
  assert.equal(rx.tryRecv(), 0);
  assert.deepEqual(await rx.recvMany(3), [1, 2, 3]);
  tx.close();
  assert.deepEqual(await rx.recvMany(), [4]);
  assert.throws(() => rx.tryRecv(), DisconnectedError);
  await assert.rejects(rx.recv(), DisconnectedError);
});

test("a waiting recv wakes on send and on disconnect", async () => {
  const [tx, rx] = channel();
  const pending = rx.recv();
  tx.send("x");
  assert.equal(await pending, "x");
  const second = rx.recv();
  tx.close();
  await assert.rejects(second, (err: unknown) => err instanceof DisconnectedError && err.reason === "closed");
});

test("recv timeout and abort; the channel stays usable afterwards", async () => {
  const [tx, rx] = channel();
  await assert.rejects(rx.recv({ timeoutMs: 20 }), (err: unknown) => err instanceof TimeoutError && err.code === "TIMEOUT");
  const ac = new AbortController();
  const aborted = rx.recv({ signal: ac.signal });
  ac.abort();
  await assert.rejects(aborted, (err: unknown) => err instanceof AbortedError && err.code === "ABORTED");
  await assert.rejects(rx.recv({ signal: AbortSignal.abort() }), AbortedError);
  tx.send("still works");
  assert.equal(await rx.recv({ timeoutMs: 1000 }), "still works");
});

test("clones: the receiver disconnects only when every clone is closed", async () => {
  const [tx, rx] = channel();
  const clones = [tx.clone(), tx.clone()];
  tx.close();
  clones[0]!.close();
  clones[1]!.send("last one standing");
  assert.equal(await rx.recv(), "last one standing");
  assert.equal(rx.tryRecv(), undefined);
  clones[1]!.close();
  await assert.rejects(rx.recv(), DisconnectedError);
  assert.throws(() => clones[1]!.send("x"), EndpointClosedError);
  assert.throws(() => tx.clone(), EndpointClosedError);
});

test("closing the receiver: senders get ReceiverGoneError and receiverGone resolves", async () => {
  const [tx, rx] = channel();
  rx.close();
  const err = await tx.receiverGone;
  assert.ok(err instanceof ReceiverGoneError);
  assert.equal(err.code, "RECEIVER_GONE");
  assert.throws(() => tx.send(1), ReceiverGoneError);
  await assert.rejects(rx.recv(), EndpointClosedError);
});

test("backpressure: send() turns false at the window; ready() resolves once consumed", async () => {
  const [tx, rx] = channel(BytesChannel, { window: 1000 });
  const chunk = new Uint8Array(200);
  let accepted = 0;
  while (tx.send(chunk)) accepted++;
  // Each message costs 200 bytes + a 40-byte header: the 5th fills the window.
  assert.equal(accepted, 4);
  let ready = false;
  const whenReady = tx.ready().then(() => (ready = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(ready, false);
  // Sends past the window are held (snapshotted), not lost.
  assert.equal(tx.send(new Uint8Array([42])), false);
  await rx.recvMany(5);
  await whenReady;
  assert.equal(ready, true);
  assert.deepEqual([...(await rx.recv())], [42]);
});

test("for await ends quietly on disconnect", async () => {
  const [tx, rx] = channel();
  for (let i = 0; i < 3; i++) tx.send(i);
  tx.close();
  const seen: unknown[] = [];
  for await (const v of rx) seen.push(v);
  assert.deepEqual(seen, [0, 1, 2]);
});

test("Symbol.dispose closes endpoints", async () => {
  const [tx, rx] = channel();
  {
    using _scoped = tx;
  }
  await assert.rejects(rx.recv(), DisconnectedError);
});
