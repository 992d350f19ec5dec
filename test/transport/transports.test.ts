import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { AddressError, OneShotServer, TimeoutError, AbortedError, connect } from "protochan";
import { PingChannel } from "../../generated/example/v1/example_chan.js";
import { create } from "@bufbuild/protobuf";
import { PingSchema } from "../../generated/example/v1/example_pb.js";
import { formatName, newToken, parseName } from "../../src/transport/name.js";
import { Child } from "../helpers/child.js";

test("names round-trip and malformed names are refused with BAD_ADDRESS", () => {
  const token = newToken();
  assert.equal(token.length, 32);
  const name = formatName("tcp:127.0.0.1:4100", token);
  assert.deepEqual(parseName(name), { address: "tcp:127.0.0.1:4100", token });
  for (const bad of ["unix:/tmp/x", "unix:/tmp/x#abc", `unix:/tmp/x#${"g".repeat(64)}`]) {
    assert.throws(
      () => parseName(bad),
      (err: unknown) => err instanceof AddressError && err.code === "BAD_ADDRESS",
    );
  }
  assert.notDeepEqual(newToken(), newToken());
});

test("unix one-shot server: private 0700 directory, removed once the client is in", { timeout: 30_000 }, async () => {
  const { server, name } = await OneShotServer.create(PingChannel);
  const path = parseName(name).address.slice("unix:".length);
  const { statSync } = await import("node:fs");
  assert.equal(statSync(dirname(path)).mode & 0o777, 0o700);
  const child = new Child("sender.ts", { PROTOCHAN_NAME: name, MODE: "count", COUNT: "1" });
  await server.accept({ timeoutMs: 20_000 });
  await child.succeeded();
  assert.equal(existsSync(dirname(path)), false);
});

test("TCP transport: a child connects over tcp:127.0.0.1", { timeout: 30_000 }, async () => {
  const { server, name } = await OneShotServer.create(PingChannel, { address: "tcp:127.0.0.1:0" });
  assert.match(name, /^tcp:127\.0\.0\.1:\d+#[0-9a-f]{64}$/);
  const child = new Child("sender.ts", { PROTOCHAN_NAME: name, MODE: "count", COUNT: "100" });
  const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
  let last = first.seq;
  for await (const p of receiver) assert.equal(p.seq, ++last);
  assert.equal(last, 100n);
  await child.succeeded();
});

test("accept() times out and aborts, and the server still accepts afterwards", { timeout: 30_000 }, async () => {
  const { server, name } = await OneShotServer.create(PingChannel);
  const t0 = performance.now();
  await assert.rejects(server.accept({ timeoutMs: 100 }), TimeoutError);
  assert.ok(performance.now() - t0 >= 95);
  const ac = new AbortController();
  const pending = server.accept({ signal: ac.signal });
  ac.abort();
  await assert.rejects(pending, AbortedError);
  const tx = await connect(PingChannel, name);
  tx.send(create(PingSchema, { seq: 7n }));
  assert.equal((await server.accept({ timeoutMs: 5_000 })).first.seq, 7n);
  tx.close();
});

test("connect to a name nobody listens on fails fast", async () => {
  await assert.rejects(connect(PingChannel, formatName("unix:/nonexistent/protochan", newToken())), /ENOENT/);
  await assert.rejects(connect(PingChannel, formatName("carrier-pigeon:x", newToken())), AddressError);
});
