// A peer's schema description is untrusted input: a malformed or oversized
// SCHEMA refuses that client with a clear error, and the server goes on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { Server, type ProtocolError } from "protochan";
import { PingChannel } from "../../generated/example/v1/example_chan.js";
import { Child } from "../helpers/child.js";

const cases = [
  { body: "garbage", error: /^bad SCHEMA: not UTF-8 JSON/ },
  { body: "dangling", error: /^bad SCHEMA: example\.v1\.Ping\.x refers to a\.B, which is not described$/ },
  { body: "huge", error: /^bad SCHEMA: 1048577 bytes, at most 1048576$/ },
];

for (const { body, error } of cases) {
  test(`a ${body} SCHEMA from a client is refused, named, and the server goes on`, { timeout: 30_000 }, async () => {
    const { server, name } = await Server.create(PingChannel);
    await using _ = server;
    const rejected = once(server, "rejected") as Promise<[ProtocolError]>;
    const child = new Child("schema-stranger.ts", { PROTOCHAN_NAME: name, BODY: body });
    const [err] = await rejected;
    assert.equal(err.code, "PROTOCOL_ERROR");
    assert.match(err.message, error);
    const refused = await child.next("refused");
    assert.match(refused.answer as string, error, "the client was told why");
    await child.succeeded();
    // Still serving: a well-behaved client gets in.
    const client = new Child("sender.ts", { PROTOCHAN_NAME: name, MODE: "count", COUNT: "1" });
    const rx = await server.accept({ timeoutMs: 20_000 });
    assert.equal((await rx.recv({ timeoutMs: 10_000 })).seq, 1n);
    await client.succeeded();
  });
}
