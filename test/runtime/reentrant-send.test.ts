// A send from inside another send of the same stream (a getter the codec
// reads sends on a clone) must not reuse the sequence number under way, nor
// corrupt the frame under way: it completes first, so it comes first.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AnyChannel, channel, OneShotServer, type Receiver } from "protochan";
import { PingChannel } from "../../generated/example/v1/example_chan.js";
import { Child } from "../helpers/child.js";

test("re-entrant send on a clone while the same sender encodes: both delivered, in the order the sends completed", {
  timeout: 30_000,
}, async () => {
  const { server, name } = await OneShotServer.create(PingChannel);
  const child = new Child("sender.ts", { PROTOCHAN_NAME: name, MODE: "reentrant" });
  try {
    const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
    const got = [`${first.seq}:${first.text}`];
    for await (const p of receiver) got.push(`${p.seq}:${p.text}`);
    // The inner send completed first (inside the outer one's encoding), so its message is first.
    assert.deepEqual(got, ["1:inner", "2:outer", "3:after"]);
    await child.succeeded();
  } finally {
    child.kill();
    await server.close();
  }
});

test("re-entrant send on another sender over the same connection: neither frame is corrupted", { timeout: 30_000 }, async () => {
  const { server, name } = await OneShotServer.create(AnyChannel);
  const child = new Child("sender.ts", { PROTOCHAN_NAME: name, MODE: "reentrant-other" });
  try {
    const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
    const { rx } = first as { rx: Receiver<unknown> };
    const main: unknown[] = [];
    for await (const m of receiver) main.push(m);
    assert.deepEqual(main, [{ text: "outer" }, "after"]);
    const moved: unknown[] = [];
    for await (const m of rx) moved.push(m);
    assert.deepEqual(moved, ["before", "inner"]);
    await child.succeeded();
  } finally {
    child.kill();
    await server.close();
  }
});

test("re-entrant send inside one process (typed and untyped): the inner message comes first", { timeout: 10_000 }, async () => {
  const [tx, rx] = channel(AnyChannel);
  const clone = tx.clone();
  tx.send({
    get text() {
      clone.send("inner");
      return "outer";
    },
  });
  clone.close();
  tx.send("after");
  tx.close();
  const got: unknown[] = [];
  for await (const m of rx) got.push(m);
  assert.deepEqual(got, ["inner", { text: "outer" }, "after"]);
});
