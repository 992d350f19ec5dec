// Issue item 5: errors of names and sockets. A one-shot name's token never
// appears in an error (message, cause or stack) or a "rejected" event; the
// system errors of dialing and listening arrive wrapped, with their cause.
import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import {
  AddressError,
  ConnectFailedError,
  HandshakeError,
  ListenFailedError,
  OneShotServer,
  type ProtochanError,
  Server,
  connect,
} from "protochan";
import { PingChannel } from "../../generated/example/v1/example_chan.js";
import { startCalculators } from "../workers/harness.js";

const T = { timeout: 60_000 };

function tokenOf(name: string): string {
  return name.slice(name.lastIndexOf("#") + 1);
}

/** Neither the token nor any 16-digit piece of it is in what the error shows: message, causes, stack. */
function assertNoToken(err: unknown, token: string): void {
  const shown = inspect(err, { depth: 10 }) + String(err);
  for (let i = 0; i + 16 <= token.length; i += 8) {
    assert.ok(!shown.includes(token.slice(i, i + 16)), `token piece ${i} leaked in:\n${shown}`);
  }
}

test("a wrong-token connect: neither the client's error nor the server's rejected event shows a token", T, async () => {
  const { server, name } = await OneShotServer.create(PingChannel);
  const rejected = once(server, "rejected");
  const wrong = name.slice(0, name.lastIndexOf("#") + 1) + "ab".repeat(32);
  const err = await connect(PingChannel, wrong, { timeoutMs: 10_000 }).catch((e: unknown) => e);
  assert.ok(err instanceof HandshakeError, inspect(err));
  assert.match(err.message, /wrong token/);
  const [event] = (await rejected) as [ProtochanError];
  assert.equal(event.code, "PROTOCOL_ERROR");
  for (const e of [err, event]) {
    assertNoToken(e, tokenOf(name));
    assertNoToken(e, tokenOf(wrong));
  }
  await server.close();
});

test("a bad name: the AddressError quotes the address, never what stands for the token", T, async () => {
  const { server, name } = await OneShotServer.create(PingChannel);
  const token = tokenOf(name);
  const address = name.slice(0, name.lastIndexOf("#"));
  for (const bad of [`${address}#${token.slice(0, 63)}`, `${address}#${token}zz`, `${address}#${token}#${token}`, token]) {
    const err = await connect(PingChannel, bad).catch((e: unknown) => e);
    assert.ok(err instanceof AddressError, inspect(err));
    assert.equal(err.code, "BAD_ADDRESS");
    assertNoToken(err, token);
    if (bad !== token) assert.ok(err.message.includes(address), err.message);
  }
  await server.close();
});

test("a connect to a server that is gone: CONNECT_FAILED with the system error as cause, no token", T, async () => {
  const { server, name } = await OneShotServer.create(PingChannel);
  await server.close();
  const err = await connect(PingChannel, name, { timeoutMs: 10_000 }).catch((e: unknown) => e);
  assert.ok(err instanceof ConnectFailedError, inspect(err));
  assert.equal(err.code, "CONNECT_FAILED");
  assert.equal((err.cause as NodeJS.ErrnoException).code, "ENOENT");
  assertNoToken(err, tokenOf(name));

  const refused = await connect(PingChannel, `tcp:127.0.0.1:1#${tokenOf(name)}`, { timeoutMs: 10_000 }).catch((e: unknown) => e);
  assert.ok(refused instanceof ConnectFailedError, inspect(refused));
  assert.equal((refused.cause as NodeJS.ErrnoException).code, "ECONNREFUSED");
  assertNoToken(refused, tokenOf(name));
});

test("listening on an address in use: LISTEN_FAILED with the system error as cause", T, async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  const port = (taken.address() as { port: number }).port;
  const err = await Server.create(PingChannel, { address: `tcp:127.0.0.1:${port}` }).catch((e: unknown) => e);
  assert.ok(err instanceof ListenFailedError, inspect(err));
  assert.equal(err.code, "LISTEN_FAILED");
  assert.equal((err.cause as NodeJS.ErrnoException).code, "EADDRINUSE");
  await new Promise((resolve) => taken.close(resolve));
});

test('an address with a "#" is refused when listening: in a name, "#" starts the token', T, async () => {
  const dir = await mkdtemp(join(tmpdir(), "protochan-hash-"));
  const err = await Server.create(PingChannel, { address: `unix:${join(dir, "a#b")}` }).catch((e: unknown) => e);
  assert.ok(err instanceof AddressError, inspect(err));
  assert.deepEqual(await readdir(dir), [], "the socket it made is gone again");
  await rm(dir, { recursive: true });
});

test("a worker set that cannot listen for its workers backs off and recovers; the host lives on", T, async () => {
  const tmp = process.env.TMPDIR;
  process.env.TMPDIR = "/nonexistent/protochan-test"; // the workers' one-shot sockets cannot be made
  const { set } = startCalculators({ count: 1, backoff: { baseMs: 50, maxMs: 50 } });
  try {
    const [backoff] = (await once(set, "backoff")) as [{ crashesInARow: number }];
    assert.equal(backoff.crashesInARow, 1);
    assert.equal(set.size, 0);
  } finally {
    if (tmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmp;
  }
  await set.ready({ timeoutMs: 30_000 });
  assert.equal((await set.client.add({ a: 2n, b: 3n })).sum, 5n);
  await set.close();
});
