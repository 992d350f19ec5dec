// Packet streaming: the three ways a stream stops are told apart. A clean end
// gives null once drained; a producer killed with SIGKILL rejects with
// PacketProducerLostError (connection-lost); a producer that closes without
// the end, PacketProducerLostError (closed-without-end); a corrupt batch from
// a raw socket peer, PacketDecodeError. Packets before each are delivered first.
import { test } from "node:test";
import assert from "node:assert/strict";
import { OneShotServer, PacketClient, PacketDecodeError, PacketProducerLostError } from "protochan";
import { SampleView } from "../../generated/example/v1/packets_packet.js";
import { controlChannel } from "../../src/packet-stream/channels.js";
import { Child } from "../helpers/child.js";
import { checkPacket, checkSample } from "./fixtures.js";

const T = { timeout: 30_000 };

/** Starts a producer child and connects to it. */
async function producer(env: Record<string, string>) {
  const child = new Child("packet-producer.ts", { MODE: "batches", ...env });
  const { name } = await child.next("listening");
  const client = await PacketClient.connect(name as string, { timeoutMs: 20_000 });
  return { child, client };
}

/** Receives everything until the stream stops; returns the count and how it stopped. */
async function drain(client: PacketClient<import("../../generated/protochan/v1/packet_packet.js").PacketView>) {
  let n = 0;
  for (;;) {
    let packets: Awaited<ReturnType<typeof client.receivePackets>>;
    try {
      packets = await client.receivePackets(64, { timeoutMs: 20_000 });
    } catch (err) {
      return { n, err };
    }
    if (packets === null) return { n, err: null };
    for (const p of packets) assert.equal(checkPacket(p, n++), undefined);
  }
}

test("clean end: every packet, then null (and null again)", T, async () => {
  const { child, client } = await producer({ BATCHES: "20", THEN: "end" });
  try {
    const { n, err } = await drain(client);
    assert.equal(err, null);
    assert.equal(n, 2000);
    assert.equal(await client.receivePackets(1), null);
    assert.equal(client.tryReceivePackets(1), null);
    assert.equal(client.endReceived, true);
    await child.succeeded();
  } finally {
    child.kill();
  }
});

test("producer SIGKILL: packets sent before, then PacketProducerLostError (connection-lost)", T, async () => {
  const { child, client } = await producer({ BATCHES: "5", THEN: "wait" });
  try {
    await child.next("sent");
    const first = await client.receivePackets(500, { timeoutMs: 20_000 });
    let n = first?.length ?? 0;
    // All 500 may not be in one call; take the rest that is already on its way.
    while (n < 500) n += (await client.receivePackets(500, { timeoutMs: 20_000 }))?.length ?? 0;
    child.kill("SIGKILL");
    const { n: more, err } = await drain(client);
    assert.equal(more, 0);
    assert.ok(err instanceof PacketProducerLostError, `got ${String(err)}`);
    assert.equal(err.code, "PACKET_PRODUCER_LOST");
    assert.equal(err.reason, "connection-lost");
    assert.ok(!(err instanceof PacketDecodeError));
    // The error stays.
    await assert.rejects(client.receivePackets(1), PacketProducerLostError);
    assert.equal((await child.exited).signal, "SIGKILL");
  } finally {
    child.kill();
  }
});

test("producer closes without the end: PacketProducerLostError (closed-without-end) after the packets", T, async () => {
  const { child, client } = await producer({ BATCHES: "3", THEN: "close" });
  try {
    const { n, err } = await drain(client);
    assert.equal(n, 300);
    assert.ok(err instanceof PacketProducerLostError, `got ${String(err)}`);
    assert.equal(err.reason, "closed-without-end");
    await child.succeeded();
  } finally {
    child.kill();
  }
});

for (const corrupt of ["count", "magic"]) {
  test(`a corrupt batch (${corrupt}) from a raw socket peer: the good packets, then PacketDecodeError`, T, async () => {
    // A stand-in for the packet server: it hands the client's data name to a raw-socket child.
    const { server, name } = await OneShotServer.create(controlChannel("example.v1.Sample"));
    const connecting = PacketClient.connect(name, { packetType: SampleView, timeoutMs: 20_000 });
    const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
    const child = new Child("packet-raw-producer.ts", { DATA_NAME: first.dataName, CORRUPT: corrupt });
    try {
      const client = await connecting;
      await child.next("sent-good");
      child.tell("corrupt");
      const got = [];
      let err: unknown;
      for (;;) {
        try {
          const packets = await client.receivePackets(10, { timeoutMs: 20_000 });
          if (packets === null) break;
          got.push(...packets);
        } catch (e) {
          err = e;
          break;
        }
      }
      assert.equal(got.length, 3);
      for (const [i, p] of got.entries()) assert.equal(checkSample(p, i), undefined);
      assert.ok(err instanceof PacketDecodeError, `got ${String(err)}`);
      assert.equal(err.code, "PACKET_DECODE");
      assert.ok(!(err instanceof PacketProducerLostError));
      assert.match(err.message, corrupt === "magic" ? /magic/ : /5 × 192/);
      const closed = await child.next("closed");
      assert.match(String(closed.reason), /corrupt packet batch/);
    } finally {
      child.kill();
      receiver.close();
      await server.close();
    }
  });
}

test(
  "a producer killed after the client's hello, before opening the stream: connect() rejects with PacketProducerLostError",
  T,
  async () => {
    const child = new Child("packet-fake-server.ts");
    try {
      const { name } = await child.next("listening");
      const connecting = PacketClient.connect(name as string, { maxBatchBytes: 4096, timeoutMs: 20_000 });
      const hello = await child.next("hello");
      assert.equal(hello.maxBatchBytes, 4096);
      assert.match(String(hello.dataName), /^unix:.*#[0-9a-f]{64}$/);
      child.kill("SIGKILL");
      const started = Date.now();
      await assert.rejects(connecting, (err: unknown) => {
        assert.ok(err instanceof PacketProducerLostError, `got ${String(err)}`);
        assert.equal(err.reason, "connection-lost");
        return true;
      });
      assert.ok(Date.now() - started < 10_000, "connect() noticed the loss, not its timeout");
    } finally {
      child.kill();
    }
  },
);
