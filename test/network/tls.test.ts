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

/** A client on host B sends 100 numbers to `server` (THEN=read), which gets them all; the client's "sent" event. */
async function hundredArrive(s: NonNullable<ReturnType<typeof setUp>>, server: Child, env: Record<string, string>) {
  const client = s.run(s.b, { MODE: "send", COUNT: "100", ...env });
  const sent = await client.next("sent");
  const received = await server.next("received");
  assert.deepEqual({ count: received.count, last: received.last }, { count: 100, last: 100 });
  await client.succeeded();
  return sent;
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

test("a client that trusts another CA is refused with TLS_FAILED; the server still takes the right client", T, async (t) => {
  const s = setUp(t);
  if (s === undefined) return;
  const other = new TestCa("other");
  t.after(() => other.remove());
  const server = s.run(s.a, { MODE: "serve", THEN: "read", ADDRESS: `tls:${s.a.ip}:0`, CERT: s.certA.cert, KEY: s.certA.key });
  const name = (await server.next("listening")).name as string;

  const wrong = s.run(s.b, { MODE: "send", NAME: name, COUNT: "1", CA: other.ca });
  const refused = await wrong.next("refused");
  assert.equal(refused.code, "TLS_FAILED", String(refused.message));
  assert.match(String(refused.message), /certificate/i);

  await hundredArrive(s, server, { NAME: name, CA: s.ca.ca });
  await Promise.all([server.succeeded(), wrong.succeeded()]);
});

test("with mutual TLS a client without a certificate is refused; one with a certificate gets in", T, async (t) => {
  const s = setUp(t);
  if (s === undefined) return;
  const server = s.run(s.a, {
    MODE: "serve",
    THEN: "read",
    ADDRESS: `tls:${s.a.ip}:0`,
    CERT: s.certA.cert,
    KEY: s.certA.key,
    CA: s.ca.ca,
    MUTUAL: "1",
  });
  const name = (await server.next("listening")).name as string;

  const anonymous = s.run(s.b, { MODE: "send", NAME: name, COUNT: "1", CA: s.ca.ca });
  const refused = await anonymous.next("refused");
  // TLS 1.3: the client's handshake ends first; the server's alert arrives with the HELLO's answer.
  assert.equal(refused.code, "TLS_FAILED", String(refused.message));
  assert.match(String(refused.message), /certificate required/);

  await hundredArrive(s, server, { NAME: name, CA: s.ca.ca, CERT: s.certB.cert, KEY: s.certB.key });
  await Promise.all([server.succeeded(), anonymous.succeeded()]);
});

test("plain tcp: to the other host is refused on both ends without allowInsecure, and works with it", T, async (t) => {
  const s = setUp(t);
  if (s === undefined) return;
  const address = `tcp:${s.a.ip}:0`;
  const strict = s.run(s.a, { MODE: "serve", THEN: "read", ADDRESS: address });
  const listenRefused = await strict.next("listen-refused");
  assert.equal(listenRefused.code, "INSECURE_TRANSPORT", String(listenRefused.message));
  assert.match(String(listenRefused.message), /allowInsecure/);

  const server = s.run(s.a, { MODE: "serve", THEN: "read", ADDRESS: address, ALLOW_INSECURE: "1" });
  const name = (await server.next("listening")).name as string;
  const client = s.run(s.b, { MODE: "send", NAME: name, COUNT: "1" });
  const refused = await client.next("refused");
  assert.equal(refused.code, "INSECURE_TRANSPORT", String(refused.message));
  assert.match(String(refused.message), /tls:/);

  assert.deepEqual((await hundredArrive(s, server, { NAME: name, ALLOW_INSECURE: "1" })).links, ["tcp"]);
  await Promise.all([strict.succeeded(), server.succeeded(), client.succeeded()]);
});
