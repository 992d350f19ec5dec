// Issue #11: a REDIRECT names a process to dial; a peer may not make this
// process dial anywhere it pleases. By default only addresses of transports
// this process already uses, on this machine, are dialed; setDialPolicy
// allows more. The hostile peer is a real child on a raw socket.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AnyChannel, DisconnectedError, OneShotServer, ProtocolError, setDialPolicy } from "protochan";
import { Child } from "../helpers/child.js";

const T = { timeout: 30_000 };
let runs = 0;

/** A peer sends a sender, REDIRECTs the route we open back for it to `target`, then sends "after". */
async function redirectTo(target: string): Promise<{ after: unknown; err: unknown }> {
  const { server, name } = await OneShotServer.create(AnyChannel);
  const peer = new Child("flood-peer.ts", { PROTOCHAN_NAME: name, MODE: "redirect", TARGET: target, NODE_SEED: String(++runs) });
  try {
    const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
    // The sender it carried is held here: its route back to the peer is the one redirected.
    assert.equal((first as { ends: unknown[] }).ends.length, 1);
    const after = await receiver.recv({ timeoutMs: 20_000 }).catch((e: unknown) => e);
    return after instanceof Error ? { after: undefined, err: after } : { after, err: undefined };
  } finally {
    peer.kill();
    await server.close();
  }
}

function assertRefused(r: { after: unknown; err: unknown }): void {
  assert.ok(r.err instanceof DisconnectedError, String(r.err));
  assert.equal(r.err.reason, "protocol-error");
  assert.ok(r.err.cause instanceof ProtocolError, String(r.err.cause));
  assert.match(r.err.cause.message, /dial policy refuses/);
  assert.doesNotMatch(r.err.cause.message, /#00ff/, "the token is not quoted");
}

const token = "00ff".repeat(16);

test("a REDIRECT to an outside address is refused: that connection ends, nothing is dialed", T, async () => {
  assertRefused(await redirectTo(`tcp:203.0.113.7:9#${token}`));
});

test("a REDIRECT to loopback TCP is refused while this process uses only Unix sockets", T, async () => {
  assertRefused(await redirectTo(`tcp:127.0.0.1:9#${token}`));
});

test("a REDIRECT to a Unix path (a transport in use, on this machine) is followed; the connection lives on", T, async () => {
  // Nobody listens there: the dial fails and the stream stays on its path.
  const r = await redirectTo(`unix:/nonexistent/protochan-dial-test/s#${token}`);
  assert.equal(r.err, undefined, String(r.err));
  assert.equal(r.after, "after");
});

test("setDialPolicy allows more (and undefined restores the default)", T, async () => {
  const asked: string[] = [];
  setDialPolicy((address) => {
    asked.push(address);
    return address.startsWith("tcp:203.0.113.");
  });
  try {
    const r = await redirectTo(`tcp:203.0.113.7:9#${token}`);
    assert.equal(r.after, "after", String(r.err));
    assert.deepEqual(asked, ["tcp:203.0.113.7:9"], "the policy sees the address, never the token");
  } finally {
    setDialPolicy(undefined);
  }
  assertRefused(await redirectTo(`tcp:203.0.113.7:9#${token}`));
});
