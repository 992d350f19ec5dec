// docs/conventions.md for services and worker sets: ServiceServer,
// ServiceConnection and WorkerSet close idempotently and dispose; calls and
// ready() honour timeoutMs and signal; refused clients are reported.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AbortedError,
  BytesChannel,
  HandshakeError,
  WorkerSetClosedError,
  connect,
  connectService,
  listenService,
  type ProtocolError,
} from "protochan";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";
import "../../generated/example/v1/calculator_chan.js";
import { checkAsyncResource, checkSyncResource, checkWait } from "../helpers/conventions.js";
import { startCalculators } from "./harness.js";

const T = { timeout: 60_000 };

/** A handler that runs until its call is cancelled, and says when it was. */
function stalling(expected: number) {
  const cancelled: string[] = [];
  let allCancelled!: (tags: string[]) => void;
  const done = new Promise<string[]>((resolve) => (allCancelled = resolve));
  const impl = {
    work: (req: { tag: string }, ctx: { signal: AbortSignal }) =>
      new Promise<{ tag: string }>((resolve) =>
        ctx.signal.addEventListener("abort", () => {
          if (cancelled.push(req.tag) === expected) allCancelled(cancelled);
          resolve({ tag: req.tag });
        }),
      ),
  };
  return { impl, done };
}

test("listenService: async close, asyncDispose, `rejected` for a wrong token", T, async () => {
  // Once closed, its name leads nowhere.
  await checkAsyncResource(
    () => listenService(CalculatorService, {}),
    (s) => connectService(CalculatorService, s.name, { timeoutMs: 5_000 }),
    Error,
  );
  const server = await listenService(CalculatorService, {});
  try {
    const rejected = new Promise<ProtocolError>((resolve) => server.once("rejected", resolve));
    await assert.rejects(connect(BytesChannel, server.name.replace(/#.*/, `#${"0".repeat(64)}`), { timeoutMs: 5_000 }), HandshakeError);
    assert.equal((await rejected).code, "PROTOCOL_ERROR");
  } finally {
    await server.close();
  }
});

test("connectService: sync close, dispose; a call honours timeoutMs and signal, and cancels its handler", T, async () => {
  const { impl, done } = stalling(2);
  const server = await listenService(CalculatorService, impl);
  try {
    await checkSyncResource(
      () => connectService(CalculatorService, server.name, { timeoutMs: 5_000 }),
      (c) => c.client.add({ a: 1n, b: 2n }),
    );
    using conn = await connectService(CalculatorService, server.name, { timeoutMs: 5_000 });
    let n = 0;
    await checkWait("unary call", (o) => conn.client.work({ millis: 0, tag: `t${++n}` }, o));
    // The first call was never sent (its signal was aborted before); the other two reached the handler.
    assert.deepEqual((await done).sort(), ["t2", "t3"]);
    // A one-way call with an aborted signal is not handed over either.
    await assert.rejects(conn.client.log({ line: "x" }, { signal: AbortSignal.abort() }), AbortedError);
  } finally {
    await server.close();
  }
});

test("WorkerSet: close() is idempotent (concurrent calls both resolve), asyncDispose; ready() honours its signal", T, async () => {
  await checkAsyncResource(
    async () => {
      const { set } = startCalculators({ count: 1 });
      await set.ready({ timeoutMs: 30_000 });
      return set;
    },
    (set) => set.client.add({ a: 1n, b: 2n }),
    WorkerSetClosedError,
  );
  const { set, printed } = startCalculators({ count: 1 });
  await set.ready({ timeoutMs: 30_000 });
  await assert.rejects(set.ready({ signal: AbortSignal.abort() }), AbortedError);
  // Closing while a call runs: both closes wait for it to finish, then resolve.
  const running = set.client.work({ millis: 300, tag: "draining" });
  await printed("started draining");
  await Promise.all([set.close(), set.close()]);
  assert.equal((await running).tag, "draining");
  assert.equal(set.size, 0);
});
