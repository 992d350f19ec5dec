// A send from inside another send of the same stream (a getter the codec
// reads sends on a clone) must not reuse the sequence number under way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { OneShotServer } from "protochan";
import { PingChannel } from "../../generated/example/v1/example_chan.js";
import { Child } from "../helpers/child.js";

test("re-entrant send on a clone while the same sender encodes: both delivered, numbered in the order the sends began", { timeout: 30_000 }, async () => {
  const { server, name } = await OneShotServer.create(PingChannel);
  const child = new Child("sender.ts", { PROTOCHAN_NAME: name, MODE: "reentrant" });
  try {
    const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
    const got = [`${first.seq}:${first.text}`];
    for await (const p of receiver) got.push(`${p.seq}:${p.text}`);
    // The outer send began first, so its message is first; the inner one follows it.
    assert.deepEqual(got, ["2:outer", "1:inner", "3:after"]);
    await child.succeeded();
  } finally {
    child.kill();
    await server.close();
  }
});
