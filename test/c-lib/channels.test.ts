// The C library (c/) against the TypeScript runtime, across real processes:
// a C client sends to a TypeScript one-shot server and a TypeScript client
// sends to a C server, on a bytes channel, a protobuf channel (example.v1.Ping
// encoded and decoded by each side on its own) and a packet channel; every
// message is checked on the receiving side. Refusals reach the C error text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BytesChannel, connect, OneShotServer, type Receiver, type Sender } from "protochan";
import { CPeer } from "../c-peer/c-peer.js";
import { buildLibPeer, KINDS, opsOf, type Kind } from "./messages.js";

const T = { timeout: 60_000 };
const COUNT = 5_000;
const exe = buildLibPeer(); // a compile error fails every test with the compiler's output

async function receiveAll(kind: Kind, first: unknown, receiver: Receiver<unknown>): Promise<number> {
  const ops = opsOf(kind);
  assert.equal(ops.mismatch(first, 0), undefined);
  let n = 1;
  for await (const got of receiver) {
    const bad = ops.mismatch(got, n);
    if (bad !== undefined) assert.fail(bad);
    n++;
  }
  return n;
}

async function sendAll(kind: Kind, tx: Sender<unknown>, count: number): Promise<void> {
  const ops = opsOf(kind);
  for (let i = 0; i < count; i++) if (!tx.send(ops.make(i))) await tx.ready({ timeoutMs: 20_000 });
  tx.close();
}

for (const kind of KINDS) {
  test(`${kind}: a C client sends ${COUNT} messages to a TypeScript server, each checked`, T, async () => {
    const { server, name } = await OneShotServer.create(opsOf(kind).channel, { window: 16 * 1024 });
    const peer = new CPeer(["send", name, kind, String(COUNT)], {}, exe);
    try {
      const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
      assert.equal(await receiveAll(kind, first, receiver), COUNT);
      assert.equal(await peer.next("sent"), String(COUNT));
      await peer.succeeded();
    } finally {
      peer.kill();
      await server.close();
    }
  });

  test(`${kind}: a TypeScript client sends ${COUNT} messages to a C server, each checked`, T, async () => {
    const peer = new CPeer(["recv", kind], { PC_WINDOW: String(16 * 1024) }, exe);
    try {
      const tx = await connect(opsOf(kind).channel, await peer.next("name"), { timeoutMs: 10_000 });
      await peer.next("accepted");
      await sendAll(kind, tx, COUNT);
      assert.equal(await peer.next("done"), String(COUNT));
      await peer.succeeded();
    } finally {
      peer.kill();
    }
  });
}

test("tcp: a C client dials a TypeScript server by a tcp: name", T, async () => {
  const { server, name } = await OneShotServer.create(BytesChannel, { address: "tcp:127.0.0.1:0" });
  assert.match(name, /^tcp:127\.0\.0\.1:\d+#/);
  const peer = new CPeer(["send", name, "bytes", "500"], {}, exe);
  try {
    const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
    assert.equal(await receiveAll("bytes", first, receiver as Receiver<unknown>), 500);
    await peer.succeeded();
  } finally {
    peer.kill();
    await server.close();
  }
});

test("a wrong token or another type: the C client's error is the server's refusal", T, async () => {
  const { server, name } = await OneShotServer.create(BytesChannel);
  try {
    const at = name.lastIndexOf("#") + 1;
    const wrong = name.slice(0, at) + (name[at] === "0" ? "1" : "0") + name.slice(at + 1);
    const badToken = new CPeer(["send", wrong, "bytes", "1"], {}, exe);
    assert.equal(await badToken.next("error"), "HANDSHAKE_REFUSED peer reported an error: handshake refused: wrong token");
    assert.equal(await badToken.exitCode(), 2);
    const badType = new CPeer(["send", name, "ping", "1"], {}, exe);
    assert.equal(
      await badType.next("error"),
      "HANDSHAKE_REFUSED peer reported an error: handshake refused: this server's channel carries protochan.bytes, the client's another type",
    );
    assert.equal(await badType.exitCode(), 2);
  } finally {
    await server.close();
  }
});

test("a C server refuses a TypeScript client of another type, naming its own", T, async () => {
  const peer = new CPeer(["recv", "ping"], {}, exe);
  try {
    const name = await peer.next("name");
    await assert.rejects(
      connect(BytesChannel, name, { timeoutMs: 10_000 }),
      /handshake refused: this server's channel carries example\.v1\.Ping, the client's another type/,
    );
    assert.match(await peer.next("refused"), /carries example\.v1\.Ping/);
    // The refusal left the C server listening: the right client still gets in, and the server
    // exits cleanly (a killed one would leave its private directory behind).
    const sender = await connect(opsOf("ping").channel, name, { timeoutMs: 10_000 });
    sender.close();
    assert.equal(await peer.next("done"), "0");
    await peer.succeeded();
  } finally {
    peer.kill();
  }
});
