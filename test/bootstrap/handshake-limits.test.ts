// Before its token checks out, a client is a stranger: the server reads one
// HELLO frame from it at most, holds nothing but its socket, and a crowd of
// strangers cannot keep the right client out. connect() does not wait for
// ever on a server that says nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import type { Socket } from "node:net";
import { connect, OneShotServer, ProtochanError, Server, TimeoutError, type ProtocolError } from "protochan";
import { PingChannel } from "../../generated/example/v1/example_chan.js";
import { registerTransport } from "../../src/transport/transport.js";
import { unixTransport } from "../../src/transport/net-transports.js";
import { Child } from "../helpers/child.js";

// Real Unix sockets, remembered so the test can read how much the server read from each.
const accepted: Socket[] = [];
registerTransport({
  scheme: "unix-watched",
  listen: (rest, onConnection) =>
    unixTransport.listen(rest, (socket) => {
      accepted.push(socket);
      onConnection(socket);
    }),
  dial: (rest) => unixTransport.dial(rest),
});

test("a HELLO header announcing a 64 MiB body is refused after one HELLO frame's worth of reading, nothing allocated for it", {
  timeout: 30_000,
}, async () => {
  const { server, name } = await OneShotServer.create(PingChannel, { address: "unix-watched" });
  const rejected = once(server, "rejected") as Promise<[ProtocolError]>;
  const buffersBefore = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  const child = new Child("stranger.ts", { PROTOCHAN_NAME: name, MODE: "huge" });
  try {
    const [err] = await rejected;
    const ms = performance.now() - t0;
    assert.match(err.message, /HELLO of 67108824 bytes, expected 72/);
    const refused = await child.next("refused");
    assert.match(refused.answer as string, /HELLO of 67108824 bytes/, "the client was told why");
    await child.succeeded();
    assert.equal(accepted.length, 1);
    const read = accepted[0]!.bytesRead;
    assert.ok(read <= 4096, `the server read ${read} bytes from a stranger`);
    assert.ok(process.memoryUsage().arrayBuffers - buffersBefore < 16 * 1024 * 1024, "memory for the announced body was allocated");
    assert.ok(ms < 10_000, `refused only after ${ms} ms (the handshake timeout)`);
  } finally {
    child.kill();
    await server.close();
  }
});

test("500 silent sockets held open by another process: the right client still gets in within 1 s", { timeout: 60_000 }, async () => {
  const { server, name } = await Server.create(PingChannel);
  let rejected = 0;
  server.on("rejected", () => rejected++);
  const flood = new Child("stranger.ts", { PROTOCHAN_NAME: name, MODE: "flood", COUNT: "500" });
  const client = new Child("sender.ts", { PROTOCHAN_NAME: name, MODE: "timed" });
  try {
    await flood.next("holding", 30_000);
    const receiver = await server.accept({ timeoutMs: 30_000 });
    const { ms } = await client.next("connected");
    assert.ok((ms as number) < 1_000, `the right client needed ${ms} ms to get in`);
    assert.equal((await receiver.recv({ timeoutMs: 10_000 })).text, "in");
    await client.succeeded();
    assert.ok(rejected > 0, "no stranger was ever displaced: the flood did not fill the server");
  } finally {
    flood.kill();
    client.kill();
    await server.close();
  }
});

test("connect() to a server that never answers fails with a TimeoutError (timeoutMs, or the default)", { timeout: 30_000 }, async () => {
  const mute = new Child("stranger.ts", { MODE: "mute-server" });
  try {
    const name = (await mute.next("listening")).name as string;
    const t0 = performance.now();
    await assert.rejects(
      connect(PingChannel, name, { timeoutMs: 300 }),
      (err: unknown) => err instanceof TimeoutError && err instanceof ProtochanError && err.code === "TIMEOUT",
    );
    assert.ok(performance.now() - t0 >= 290);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(connect(PingChannel, name, { signal: ac.signal }), (err: unknown) => (err as ProtochanError).code === "ABORTED");
    // No options at all: the default (10 s) applies.
    const t1 = performance.now();
    await assert.rejects(connect(PingChannel, name), TimeoutError);
    const waited = performance.now() - t1;
    assert.ok(waited >= 9_900 && waited < 15_000, `default timeout took ${waited} ms`);
  } finally {
    mute.kill();
  }
});
