// Issue #13 item 1: protochan over tls: between hosts. Every test runs real
// child processes on two network namespaces joined by a veth pair (two
// "hosts"), with certificates made at test time.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { Child } from "../helpers/child.js";
import { TestCa } from "../helpers/certs.js";
import { twoHosts, type Host } from "../helpers/netns.js";

const T = { timeout: 90_000 };

/** A CA and a certificate for each host, removed after the test; children killed after it too. */
function setUp(t: TestContext) {
  const hosts = twoHosts(t);
  if (hosts === undefined) return undefined;
  const ca = new TestCa();
  t.after(() => ca.remove());
  const children: Child[] = [];
  t.after(async () => {
    for (const c of children) c.kill();
    await Promise.all(children.map((c) => c.exited));
  });
  const run = (host: Host, env: Record<string, string>) => {
    const child = new Child("net-peer.ts", env, host.exec);
    children.push(child);
    return child;
  };
  return { ...hosts, ca, certA: ca.issue("host-a", [hosts.a.ip]), certB: ca.issue("host-b", [hosts.b.ip]), run };
}

test("a one-shot server on host A and a client on host B over tls:; the token is checked inside TLS", T, async (t) => {
  const s = setUp(t);
  if (s === undefined) return;
  const server = s.run(s.a, { MODE: "serve", THEN: "read", ADDRESS: `tls:${s.a.ip}:0`, CERT: s.certA.cert, KEY: s.certA.key });
  const name = (await server.next("listening")).name as string;
  assert.match(name, /^tls:10\.77\.0\.1:\d+#[0-9a-f]{64}$/);

  // Right CA, wrong token: TLS is fine, the protochan handshake refuses it.
  const forged = s.run(s.b, { MODE: "send", NAME: name.replace(/#.*/, `#${"0".repeat(64)}`), COUNT: "1", CA: s.ca.ca });
  const refused = await forged.next("refused");
  assert.equal(refused.code, "HANDSHAKE_REFUSED", String(refused.message));
  assert.match(String(refused.message), /wrong token/);

  const client = s.run(s.b, { MODE: "send", NAME: name, COUNT: "5000", CA: s.ca.ca });
  assert.deepEqual((await client.next("sent")).links, ["tls"]);
  const received = await server.next("received");
  assert.deepEqual({ count: received.count, last: received.last }, { count: 5000, last: 5000 });
  assert.equal((received.rejected as string[]).length, 1, "the forged client was refused, once");
  await Promise.all([server.succeeded(), client.succeeded(), forged.succeeded()]);
});

test(
  "a receiver moved from host A to host B and back to host A: proxies removed, the direct link is tls:, every message once, in order",
  T,
  async (t) => {
    const s = setUp(t);
    if (s === undefined) return;
    const tlsA = { CA: s.ca.ca, CERT: s.certA.cert, KEY: s.certA.key };
    const tlsB = { CA: s.ca.ca, CERT: s.certB.cert, KEY: s.certB.key };
    // B relays the receiver to C, a second process on host A; the origin O (host A) sends throughout.
    const b = s.run(s.b, { MODE: "serve", THEN: "relay", ADDRESS: `tls:${s.b.ip}:0`, ...tlsB });
    const c = s.run(s.a, { MODE: "serve", THEN: "read-moved", ADDRESS: `tls:${s.a.ip}:0`, ...tlsA });
    const [bName, cName] = [(await b.next("listening")).name as string, (await c.next("listening")).name as string];
    // The origin has only the CA: it can dial over TLS but not listen.
    const origin = s.run(s.a, { MODE: "origin", NAME: bName, ONWARD: cName, CA: s.ca.ca });
    await b.next("forwarded");
    // Off B onto a direct link to C: the one C opened for it, over tls: (REDIRECT dialed with O's CA).
    assert.deepEqual((await origin.next("switched")).links, ["tls", "tls"]);
    b.tell("stats");
    const before = await b.next("stats");
    assert.ok(Number(before.forwarded) > 0, "B forwarded while it held the receiver");
    origin.tell("more");
    await origin.next("done");
    const received = await c.next("received");
    assert.deepEqual({ count: received.count, last: received.last }, { count: 10_000, last: 10_000 });
    // C's links: B's (to its server) and the origin's direct one (to the listener it opened for it).
    assert.deepEqual(received.links, ["tls", "tls"]);
    b.tell("stats");
    assert.equal(Number((await b.next("stats")).forwarded), Number(before.forwarded), "traffic after the switch went through B");
    origin.tell("quit");
    b.tell("quit");
    await Promise.all([origin.succeeded(), b.succeeded(), c.succeeded()]);
  },
);
