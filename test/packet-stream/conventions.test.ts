// docs/conventions.md for packet streams: PacketServer, PacketConnection and
// PacketClient close idempotently and dispose; every wait honours timeoutMs
// and signal; the server reports refused clients like OneShotServer.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AbortedError,
  BytesChannel,
  HandshakeError,
  PacketClient,
  PacketProducerLostError,
  PacketServer,
  connect,
  type PacketClientOptions,
  type ProtocolError,
} from "protochan";
import type { PacketView } from "../../generated/protochan/v1/packet_packet.js";
import { checkAsyncResource, checkSyncResource, checkWait } from "../helpers/conventions.js";
import { makePacket } from "./fixtures.js";

const T = { timeout: 30_000 };

/** A producer and a consumer in this process (the cross-process behaviour is in the other tests). */
async function pair(clientOptions: PacketClientOptions = {}) {
  const { server, name } = await PacketServer.create();
  const [conn, client] = await Promise.all([
    server.accept({ timeoutMs: 10_000 }),
    PacketClient.connect(name, { timeoutMs: 10_000, ...clientOptions }),
  ]);
  await server.close();
  return { conn, client };
}

test("PacketServer: async close, asyncDispose; accept honours its options; `rejected` for a wrong token", T, async () => {
  await checkAsyncResource(
    async () => (await PacketServer.create()).server,
    (s) => s.accept(),
  );
  const { server, name } = await PacketServer.create();
  try {
    await checkWait("PacketServer.accept", (o) => server.accept(o));
    const rejected = new Promise<ProtocolError>((resolve) => server.once("rejected", resolve));
    await assert.rejects(connect(BytesChannel, name.replace(/#.*/, `#${"0".repeat(64)}`), { timeoutMs: 5_000 }), HandshakeError);
    assert.equal((await rejected).code, "PROTOCOL_ERROR");
  } finally {
    await server.close();
  }
});

test("PacketClient: sync close, dispose; connect, receivePackets and receiveBatch honour their options", T, async () => {
  const made: { conn: { close(): void } }[] = [];
  await checkSyncResource(
    async () => {
      const p = await pair();
      made.push(p);
      return p.client;
    },
    (c) => c.receivePackets(1),
  );
  for (const p of made) p.conn.close();
  const { conn, client } = await pair();
  try {
    await checkWait("receivePackets", (o) => client.receivePackets(10, o));
    await checkWait("receiveBatch", (o) => client.receiveBatch(o));
    await conn.send([makePacket(1)]);
    await assert.rejects(client.receivePackets(1, { signal: AbortSignal.abort() }), AbortedError);
    assert.equal((await client.receivePackets(10, { timeoutMs: 5_000 }))?.length, 1, "the packet was not lost");
  } finally {
    conn.close();
    client.close();
  }
  // A producer that never accepts: the client's wait for it must give up.
  const { server, name } = await PacketServer.create();
  try {
    await checkWait("PacketClient.connect", (o) => PacketClient.connect(name, o));
  } finally {
    await server.close();
  }
});

test("PacketConnection: sync close, dispose; send, end and pipeFrom honour their options", T, async () => {
  const clients: PacketClient<PacketView>[] = [];
  await checkSyncResource(
    async () => {
      const p = await pair();
      clients.push(p.client);
      return p.conn;
    },
    (c) => c.send([makePacket(1)]),
  );
  for (const c of clients) c.close();

  // A buffer of one 128-byte batch, which no one reads: a few batches fill it.
  const { conn, client } = await pair({ maxBufferedBatches: 1, maxBatchBytes: 128 });
  try {
    let sent = 0;
    while (
      await conn.send([makePacket(sent, 0)], { timeoutMs: 50 }).then(
        () => true,
        () => false,
      )
    )
      sent++;
    assert.ok(sent >= 1 && sent <= 4, `${sent} batches filled the buffer`);
    await checkWait("send", (o) => conn.send([makePacket(2, 0)], o));
    await checkWait("end", (o) => conn.end(o));
  } finally {
    conn.close();
    client.close();
  }

  // pipeFrom: the signal stops a source that never produces; the stream closes without an end.
  const piped = await pair();
  const ac = new AbortController();
  async function* never(): AsyncGenerator<PacketView> {
    yield makePacket(0);
    await new Promise(() => {});
  }
  const pipe = piped.conn.pipeFrom(never(), { signal: ac.signal, flushIntervalMs: 0 });
  assert.equal((await piped.client.receivePackets(10, { timeoutMs: 5_000 }))?.length, 1);
  ac.abort();
  await assert.rejects(pipe, AbortedError);
  await assert.rejects(piped.client.receivePackets(10, { timeoutMs: 5_000 }), PacketProducerLostError);
  piped.client.close();
});
