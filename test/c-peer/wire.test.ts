// Issue "C-compatible packets": a real C program (test/c/peer.c on the C
// library in c/, compiled with cc -std=c11 -Wall -Wextra -Werror -pedantic)
// speaks the wire protocol with TypeScript over Unix sockets: handshake both ways, example.v1.Sample packets checked field by
// field on both sides, flow control both ways, refusals with ERROR frames.
import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, DisconnectedError, HandshakeError, OneShotServer, type Receiver, type Sender } from "protochan";
import { SamplePacketChannel, SampleView } from "../../generated/example/v1/packets_packet.js";
import { PingChannel } from "../../generated/example/v1/example_chan.js";
import { buildPeer, CPeer } from "./c-peer.js";
import { fillSample, sampleMismatch } from "./samples.js";

const T = { timeout: 120_000 };
const COUNT = 100_000;

buildPeer(); // a compile error fails every test below with the compiler's output

/** The same name with one token digit changed. */
function wrongToken(name: string): string {
  const at = name.lastIndexOf("#") + 1;
  return name.slice(0, at) + (name[at] === "0" ? "1" : "0") + name.slice(at + 1);
}

/** Sends packets 0..count-1 of `seed`, respecting backpressure; returns how often it had to wait. */
async function sendSamples(tx: Sender<SampleView>, count: number, seed: number): Promise<number> {
  const view = SampleView.create(); // reused: send() copies the bytes out (or holds a copy)
  let waits = 0;
  for (let i = 0; i < count; i++) {
    if (!tx.send(fillSample(view, i, seed))) {
      waits++;
      await tx.ready({ timeoutMs: 20_000 });
    }
  }
  tx.close();
  return waits;
}

/** Receives until the sender closes, checking every field of every packet; returns the count. */
async function receiveSamples(first: SampleView, receiver: Receiver<SampleView>, seed: number): Promise<number> {
  const scratch = SampleView.create();
  const bad = sampleMismatch(first, 0, seed, scratch);
  if (bad !== undefined) assert.fail(bad);
  let n = 1;
  for await (const v of receiver) {
    const mismatch = sampleMismatch(v, n, seed, scratch);
    if (mismatch !== undefined) assert.fail(mismatch);
    n++;
  }
  return n;
}

test("C dials a TypeScript one-shot server, receives 100,000 packets, then sends 100,000 back", T, async () => {
  const { server, name } = await OneShotServer.create(SamplePacketChannel);
  const peer = new CPeer(["dial", name, String(COUNT), "1", "2"]);
  try {
    const cName = await peer.next("name");
    await peer.next("connected"); // HELLO sent, our WELCOME received
    // The C program listens too: TypeScript -> C over a second connection.
    const accepting = server.accept({ timeoutMs: 60_000 }); // C sends only after receiving everything
    accepting.catch(() => {});
    const tx = await connect(SamplePacketChannel, cName, { timeoutMs: 20_000 });
    await peer.next("accepted");
    await sendSamples(tx, COUNT, 1);
    assert.equal(await peer.next("received", 60_000), String(COUNT)); // C checked every field
    // C -> TypeScript over the first connection.
    const { receiver, first } = await accepting;
    assert.equal(await receiveSamples(first, receiver, 2), COUNT);
    assert.equal(await peer.next("sent"), String(COUNT));
    await peer.succeeded();
  } finally {
    peer.kill();
    await server.close();
  }
});

test("C listens: TypeScript connects and sends 100,000 packets, C checks each and answers; small windows both ways", T, async () => {
  const window = 16 * 1024; // ~70 packets: credit has to flow many times in both directions
  const { server, name } = await OneShotServer.create(SamplePacketChannel, { window });
  const peer = new CPeer(["serve", name, String(COUNT), "3", "4"], { PC_WINDOW: String(window) });
  try {
    const tx = await connect(SamplePacketChannel, await peer.next("name"), { timeoutMs: 20_000 });
    await peer.next("accepted");
    const sending = sendSamples(tx, COUNT, 3);
    sending.catch(() => {});
    const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
    assert.equal(await receiveSamples(first, receiver, 4), COUNT);
    const waits = await sending;
    // The C receiver's window stopped TypeScript many times, and its CREDIT frames let it go on.
    assert.ok(waits > 100, `TypeScript waited for C's credit only ${waits} times`);
    assert.equal(await peer.next("done"), String(COUNT));
    await peer.succeeded();
  } finally {
    peer.kill();
    await server.close();
  }
});

test("the C server refuses a wrong token and a wrong type with ERROR frames, then takes the right client", T, async () => {
  const { server, name } = await OneShotServer.create(SamplePacketChannel);
  const peer = new CPeer(["serve", name, "1000", "5", "6"]);
  try {
    const cName = await peer.next("name");
    await assert.rejects(connect(SamplePacketChannel, wrongToken(cName), { timeoutMs: 10_000 }), (err) => {
      assert.ok(err instanceof HandshakeError, String(err));
      assert.match(err.message, /handshake refused: wrong token/);
      return true;
    });
    assert.match(await peer.next("refused"), /wrong token/);
    await assert.rejects(connect(PingChannel, cName, { timeoutMs: 10_000 }), (err) => {
      assert.ok(err instanceof HandshakeError, String(err));
      assert.match(err.message, /handshake refused: this server's channel carries example\.v1\.Sample, the client's another type/);
      return true;
    });
    assert.match(await peer.next("refused"), /carries example\.v1\.Sample, the client's another type/);
    // Still listening: the rightful client gets in and is answered.
    const tx = await connect(SamplePacketChannel, cName, { timeoutMs: 10_000 });
    const sending = sendSamples(tx, 1000, 5);
    const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
    assert.equal(await receiveSamples(first, receiver, 6), 1000);
    await sending;
    assert.equal(await peer.next("done"), "1000");
    await peer.succeeded();
  } finally {
    peer.kill();
    await server.close();
  }
});

test("a TypeScript server refuses a C client with a wrong token or type; C reports the ERROR reason", T, async () => {
  const window = 4096; // the good client below must wait for CREDIT ~50 times
  const { server, name } = await OneShotServer.create(SamplePacketChannel, { window });
  const { server: pings, name: pingName } = await OneShotServer.create(PingChannel);
  const peers: CPeer[] = [];
  try {
    const rejected = once(server, "rejected");
    const badToken = new CPeer(["send", wrongToken(name), "1", "7"]);
    peers.push(badToken);
    assert.match(await badToken.next("error"), /peer reported an error: handshake refused: wrong token/);
    assert.equal(await badToken.exitCode(), 2);
    await rejected;

    const badType = new CPeer(["send", pingName, "1", "7"]);
    peers.push(badType);
    assert.match(await badType.next("error"), /handshake refused: this server's channel carries example\.v1\.Ping/);
    assert.equal(await badType.exitCode(), 2);

    const good = new CPeer(["send", name, "1000", "7"]);
    peers.push(good);
    const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
    assert.equal(await receiveSamples(first, receiver, 7), 1000);
    assert.equal(await good.next("sent"), "1000");
    await good.succeeded();
  } finally {
    for (const p of peers) p.kill();
    await server.close();
    await pings.close();
  }
});

test("a TypeScript receiver that closes early sends GONE; the C sender stops with 'receiver is gone'", T, async () => {
  const { server, name } = await OneShotServer.create(SamplePacketChannel, { window: 64 * 1024 });
  const peer = new CPeer(["send", name, String(COUNT), "11"]);
  try {
    const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
    assert.equal(sampleMismatch(first, 0, 11), undefined);
    for (let i = 1; i < 10; i++) assert.equal(sampleMismatch(await receiver.recv({ timeoutMs: 10_000 }), i, 11), undefined);
    receiver.close(); // C has at most a window in flight, then reads the GONE while waiting for credit
    assert.equal(await peer.exitCode(), 1);
    assert.match(peer.stderr, /send: receiver is gone: it was closed/);
  } finally {
    peer.kill();
    await server.close();
  }
});

test("a C sender that ignores CREDIT is stopped with a protocol error, and C hears why", T, async () => {
  const window = 4096;
  const { server, name } = await OneShotServer.create(SamplePacketChannel, { window });
  // 200 packets (46 KB) fit the socket buffers: C's writes never block, so it
  // always gets to read the ERROR frame.
  const peer = new CPeer(["send", name, "200", "10"], { PC_IGNORE_CREDIT: "1" });
  try {
    // Take the first packet, then consume nothing until C is done: C's flood
    // passes twice the window (~36 packets) with nothing credited.
    const { receiver } = await server.accept({ timeoutMs: 20_000 });
    assert.equal(await peer.exitCode(), 1);
    assert.match(peer.stderr, /close: peer reported an error: route 1: peer ignored flow control/);
    await assert.rejects(
      (async () => {
        for await (const _ of receiver);
      })(),
      (err) => err instanceof DisconnectedError && err.reason === "protocol-error",
    );
  } finally {
    peer.kill();
    await server.close();
  }
});

test("the C side catches one wrong field among the packets and says which", T, async () => {
  const { server, name } = await OneShotServer.create(SamplePacketChannel);
  const peer = new CPeer(["serve", name, "100", "8", "9"]);
  try {
    const tx = await connect(SamplePacketChannel, await peer.next("name"), { timeoutMs: 10_000 });
    const view = SampleView.create();
    try {
      for (let i = 0; i < 100; i++) {
        fillSample(view, i, 8);
        if (i === 58) view.battery = view.battery! + 1; // 58 has a battery level: 58 -> 59
        if (!tx.send(view)) await tx.ready({ timeoutMs: 10_000 });
      }
      tx.close();
    } catch {
      // The C peer closes the connection after packet 58: later sends may fail.
    }
    assert.equal(await peer.exitCode(), 1);
    assert.match(peer.stderr, /packet 58 of seed 8: field battery differs/);
  } finally {
    peer.kill();
    await server.close();
  }
});

test("the TypeScript check catches a wrong field, padding byte or unused element (the checks can fail)", () => {
  const v = fillSample(SampleView.create(), 42, 2);
  assert.equal(sampleMismatch(v, 42, 2), undefined);
  assert.match(sampleMismatch(v, 43, 2) ?? "", /fields id, .*differ/);
  const battery = fillSample(SampleView.create(), 42, 2);
  battery.battery = 1;
  assert.match(sampleMismatch(battery, 42, 2) ?? "", /fields battery differ/);
  const pad = fillSample(SampleView.create(), 42, 2);
  pad.bytes[13] = 1; // _pad0
  assert.match(sampleMismatch(pad, 42, 2) ?? "", /padding bytes differ/);
});
