// docs/conventions.md for channels and bootstrap: every resource closes
// idempotently and disposes, every wait honours timeoutMs and signal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import {
  AbortedError,
  BytesChannel,
  EndpointClosedError,
  HandshakeError,
  OneShotServer,
  ReceiverSet,
  Server,
  channel,
  connect,
  type ProtocolError,
} from "protochan";
import { checkAsyncResource, checkSyncResource, checkWait } from "../helpers/conventions.js";

const T = { timeout: 30_000 };
const bytes = new Uint8Array([1]);

test("Sender: sync close, dispose; ready, sendAsync and flush honour their options", T, async () => {
  await checkSyncResource(
    () => channel(BytesChannel)[0],
    (tx) => tx.send(bytes),
  );
  // A one-byte window is full after one message: ready() and sendAsync() must wait.
  const [tx, rx] = channel(BytesChannel, { window: 1 });
  assert.equal(tx.send(bytes), false);
  await checkWait("ready", (o) => tx.ready(o));
  await checkWait("sendAsync", (o) => tx.sendAsync(bytes, o));
  await assert.rejects(tx.flush({ signal: AbortSignal.abort() }), AbortedError);
  assert.equal(rx.queued, 1, "the waits sent nothing");
});

test("Receiver: sync close, dispose; recv and recvMany honour their options", T, async () => {
  await checkSyncResource(
    () => channel(BytesChannel)[1],
    (rx) => rx.recv(),
  );
  const [tx, rx] = channel(BytesChannel);
  await checkWait("recv", (o) => rx.recv(o));
  await checkWait("recvMany", (o) => rx.recvMany(10, o));
  // An aborted signal stops even a wait that could be answered at once.
  tx.send(bytes);
  await assert.rejects(rx.recv({ signal: AbortSignal.abort() }), AbortedError);
  await assert.rejects(rx.recvMany(1, { signal: AbortSignal.abort() }), AbortedError);
  assert.deepEqual([...(await rx.recv({ timeoutMs: 1000 }))], [1], "the message was not lost");
  tx.close();
});

test("ReceiverSet: sync close, dispose; select honours its options and rejects when the set closes", T, async () => {
  const keep: unknown[] = [];
  const withMember = () => {
    const set = new ReceiverSet<Uint8Array>();
    const [tx, rx] = channel(BytesChannel);
    keep.push(tx);
    set.add(rx);
    return set;
  };
  await checkSyncResource(withMember, (set) => set.select());
  const set = withMember();
  await checkWait("select", (o) => set.select(o));
  const pending = assert.rejects(set.select(), EndpointClosedError);
  set.close();
  await pending;
});

test("Server and OneShotServer: async close, asyncDispose; accept honours its options", T, async () => {
  await checkAsyncResource(
    async () => (await Server.create(BytesChannel)).server,
    (s) => s.accept(),
  );
  await checkAsyncResource(
    async () => (await OneShotServer.create(BytesChannel)).server,
    (s) => s.accept(),
  );
  const { server } = await Server.create(BytesChannel);
  const { server: oneShot } = await OneShotServer.create(BytesChannel);
  try {
    await checkWait("Server.accept", (o) => server.accept(o));
    await checkWait("OneShotServer.accept", (o) => oneShot.accept(o));
  } finally {
    await server.close();
    await oneShot.close();
  }
});

test("a wait pending when its server closes rejects with EndpointClosedError", T, async () => {
  const { server } = await Server.create(BytesChannel);
  const pending = assert.rejects(server.accept(), EndpointClosedError);
  await server.close();
  await pending;
});

test("servers report refused clients through the typed `rejected` event", T, async () => {
  const { server, name } = await OneShotServer.create(BytesChannel);
  try {
    const rejected = new Promise<ProtocolError>((resolve) => server.once("rejected", resolve));
    const wrong = name.replace(/#.*/, `#${"0".repeat(64)}`);
    await assert.rejects(connect(BytesChannel, wrong, { timeoutMs: 5_000 }), HandshakeError);
    assert.equal((await rejected).code, "PROTOCOL_ERROR");
  } finally {
    await server.close();
  }
});

test("connect() honours timeoutMs and signal against a server that never answers", T, async () => {
  const sockets: Socket[] = [];
  const silent = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const port = (silent.address() as { port: number }).port;
  try {
    await checkWait("connect", (o) => connect(BytesChannel, `tcp:127.0.0.1:${port}#${"ab".repeat(32)}`, o));
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});
