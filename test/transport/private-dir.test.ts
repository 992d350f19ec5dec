// A one-shot server's private directory must not outlive its process, even
// when the process exits right after its client got in.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { create } from "@bufbuild/protobuf";
import { connect, OneShotServer } from "protochan";
import { PingChannel } from "../../generated/example/v1/example_chan.js";
import { PingSchema } from "../../generated/example/v1/example_pb.js";
import { parseName } from "../../src/transport/name.js";
import { Child } from "../helpers/child.js";

for (const mode of ["exit", "close"]) {
  test(`a child that exits right after accept() (${mode === "exit" ? "without close()" : "after close() twice"}) leaves no directory`, {
    timeout: 30_000,
  }, async () => {
    const child = new Child("one-shot-exit.ts", { MODE: mode });
    try {
      const name = (await child.next("listening")).name as string;
      const dir = dirname(parseName(name).address.slice("unix:".length));
      assert.ok(existsSync(dir));
      const tx = await connect(PingChannel, name);
      tx.send(create(PingSchema, { seq: 1n }));
      await child.succeeded();
      tx.close();
      assert.equal(existsSync(dir), false, `${dir} left behind`);
    } finally {
      child.kill();
    }
  });
}

test("close() is one promise for every caller: the directory is gone when any of them resolves", { timeout: 30_000 }, async () => {
  const { server, name } = await OneShotServer.create(PingChannel);
  const dir = dirname(parseName(name).address.slice("unix:".length));
  const first = server.close();
  const second = server.close();
  assert.equal(first, second);
  await second;
  assert.equal(existsSync(dir), false);
});
