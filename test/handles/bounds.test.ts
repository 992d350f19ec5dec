// Issue #11: a peer that claims resources (routes, handles, unconsumed bytes,
// unread output) instead of breaking the protocol is refused at a bound: its
// connection ends with a ResourceLimitError naming the bound, this process
// stays small and goes on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AnyChannel, BytesChannel, channel, DisconnectedError, OneShotServer, ResourceLimitError, type ServerOptions } from "protochan";
import { Child } from "../helpers/child.js";

const T = { timeout: 90_000 };
const gc = (globalThis as { gc?: () => void }).gc!;
const MiB = 1024 * 1024;
let runs = 0; // each flood peer gets a node id of its own

function rss(): number {
  gc();
  return process.memoryUsage().rss;
}

/** Serves one flood peer; returns why its connection ended and how much RSS grew meanwhile. */
async function flood(env: Record<string, string>, options: ServerOptions, read: boolean, keep = false) {
  const before = rss();
  const { server, name } = await OneShotServer.create(AnyChannel, options);
  const peer = new Child("flood-peer.ts", { PROTOCHAN_NAME: name, NODE_SEED: String(++runs), ...env });
  let peak = 0;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  let received = 0;
  // Not reading: what the peer sent waits unconsumed until it is dropped; then it is drained.
  const closed = read ? undefined : await peer.next("closed", 60_000);
  const err = await (async () => {
    const { receiver } = await server.accept({ timeoutMs: 20_000 });
    for (;;) {
      const message = (await receiver.recv({ timeoutMs: 60_000 })) as { ends: { close(): void }[] };
      // Holding the ends keeps what they claimed (routes); closing them gives it back.
      if (!keep) for (const end of message.ends) end.close();
      received++;
    }
  })().catch((e: unknown) => e);
  clearInterval(sample);
  const reason = (closed ?? (await peer.next("closed", 30_000))).reason;
  await peer.succeeded();
  await server.close();
  return { err, reason: String(reason), grown: Math.max(peak, rss()) - before, peak, received };
}

function assertLimit(err: unknown, limit: string): ResourceLimitError {
  assert.ok(err instanceof DisconnectedError, String(err));
  assert.equal(err.reason, "protocol-error");
  const cause = err.cause;
  assert.ok(cause instanceof ResourceLimitError, `${String(cause)} (cause: ${String((cause as Error | undefined)?.cause)})`);
  assert.equal(cause.code, "RESOURCE_LIMIT");
  assert.equal(cause.limit, limit);
  return cause;
}

test("100,000 routes from one peer (sender handles): refused at maxRoutes, RSS growth under 64 MiB", T, async () => {
  const r = await flood({ MODE: "senders", TOTAL: "100000" }, {}, true, true);
  const cause = assertLimit(r.err, "maxRoutes");
  assert.match(cause.message, /maxRoutes is 8192/);
  assert.ok(r.grown < 64 * MiB, `RSS grew by ${(r.grown / MiB).toFixed(1)} MiB`);
  console.log(`# routes flood: ${r.received} messages taken, RSS +${(r.grown / MiB).toFixed(1)} MiB`);
  // This process goes on.
  const [tx, rx] = channel();
  tx.send("still here");
  assert.equal(await rx.recv(), "still here");
});

test("1,000,000 receiver handles from a peer ignoring flow control: refused at the window, RSS under 256 MiB", T, async () => {
  const r = await flood({ MODE: "receivers", TOTAL: "1000000" }, {}, false);
  const cause = assertLimit(r.err, "window");
  assert.match(cause.message, /ignored flow control/);
  assert.ok(r.peak < 256 * MiB, `RSS peaked at ${(r.peak / MiB).toFixed(1)} MiB`);
  console.log(`# handle flood: RSS peak ${(r.peak / MiB).toFixed(1)} MiB, +${(r.grown / MiB).toFixed(1)} MiB`);
});

test("40 routes each filled to its window: refused at maxConnectionBytes, not at 40 windows", T, async () => {
  const r = await flood(
    { MODE: "fill", ROUTES: "40", FILL: String(900 * 1024) },
    { window: MiB, maxConnectionBytes: 16 * MiB },
    true,
    true,
  );
  const cause = assertLimit(r.err, "maxConnectionBytes");
  assert.match(cause.message, /maxConnectionBytes is 16777216/);
  assert.ok(r.grown < 64 * MiB, `RSS grew by ${(r.grown / MiB).toFixed(1)} MiB`);
});

test("a peer that never reads what we write back (OPENs of its senders): refused at maxWriteBacklog", T, async () => {
  const r = await flood({ MODE: "no-read", TOTAL: "200000" }, { maxRoutes: 1_000_000, maxWriteBacklog: 256 * 1024 }, true, true);
  const cause = assertLimit(r.err, "maxWriteBacklog");
  assert.match(cause.message, /peer does not read/);
  assert.ok(r.grown < 128 * MiB, `RSS grew by ${(r.grown / MiB).toFixed(1)} MiB`);
});

/** Sends 1 kB messages, ignoring `false`, until send() throws; returns how many went and the error. */
function sendUntilRefused(tx: { send(v: never): boolean }, value: unknown): { sent: number; err: unknown } {
  let sent = 0;
  try {
    for (;;) {
      tx.send(value as never);
      sent++;
    }
  } catch (err) {
    return { sent, err };
  }
}

test("a sender that ignores false from send() hits a bound: ResourceLimitError, nothing lost before it", T, async () => {
  // Held back (bytes): one window in flight plus max(4 windows, 1 MiB) held, about 1,100 messages.
  const [bytesTx, bytesRx] = channel(BytesChannel, { window: 64 * 1024 });
  const held = sendUntilRefused(bytesTx, new Uint8Array(1000));
  // Never held (untyped messages may carry handles): one window past the window, about 126.
  const [anyTx, anyRx] = channel(AnyChannel, { window: 64 * 1024 });
  const past = sendUntilRefused(anyTx, "x".repeat(1000));
  for (const [{ sent, err }, min, max] of [
    [held, 1_000, 1_200],
    [past, 100, 140],
  ] as const) {
    assert.ok(err instanceof ResourceLimitError, String(err));
    assert.equal(err.limit, "window");
    assert.match(err.message, /await ready\(\)/);
    assert.ok(sent > min && sent < max, `sent ${sent}`);
  }
  bytesTx.close();
  anyTx.close();
  let got = 0;
  for await (const _ of bytesRx) got++;
  assert.equal(got, held.sent);
  got = 0;
  for await (const _ of anyRx) got++;
  assert.equal(got, past.sent);
});

test("a send that crosses the window by a lot counts: the next send ignoring false is refused before 2·window", T, () => {
  // Never held: a large message (or a handle's charge) that starts below the window and ends past
  // 2·window leaves no room for another, which a receiver over a connection would take as a breach.
  const [tx, rx] = channel(AnyChannel, { window: 64 * 1024 });
  assert.equal(tx.send("x".repeat(60 * 1024)), true);
  assert.equal(tx.send("y".repeat(100 * 1024)), false);
  assert.throws(
    () => tx.send("z"),
    (err: unknown) => err instanceof ResourceLimitError && err.limit === "window",
  );
  tx.close();
  rx.close();
});
