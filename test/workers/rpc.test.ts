// Issue #6: every method kind, typed errors, cancellation and deadlines, and a
// multi-client server with 20 client processes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { AbortedError, CallChannel, channel, createClient, listenService, RpcError, TimeoutError } from "protochan";
import { CalculatorService, WorkFailureSchema, type WorkFailure } from "../../generated/example/v1/calculator_pb.js";
import "../../generated/example/v1/calculator_chan.js";
import { Child } from "../helpers/child.js";
import { startCalculators, type CalculatorSet } from "./harness.js";

const T = { timeout: 90_000 };

async function* numbered(n: number): AsyncGenerator<{ a: bigint; b: bigint }> {
  for (let i = 1; i <= n; i++) yield { a: BigInt(i), b: 0n };
}

async function withSet(fn: (set: CalculatorSet, printed: (line: string) => Promise<number>) => Promise<void>) {
  const { set, printed } = startCalculators({ count: 2 });
  await set.ready({ timeoutMs: 30_000 });
  try {
    await fn(set, printed);
  } finally {
    await set.close();
  }
}

test("server streaming, client streaming and bidi streaming through workers", T, () =>
  withSet(async (set) => {
    const counted: number[] = [];
    for await (const r of set.client.count({ count: 25 })) counted.push(r.n);
    assert.deepEqual(
      counted,
      Array.from({ length: 25 }, (_, i) => i + 1),
    );

    const sum = await set.client.sum(numbered(1_000));
    assert.equal(sum.sum, 500_500n);

    async function* words() {
      for (const text of ["alpha", "beta", "gamma"]) yield { text };
    }
    const echoed: string[] = [];
    for await (const m of set.client.echo(words())) echoed.push(m.text);
    assert.deepEqual(echoed, ["ALPHA", "BETA", "GAMMA"]);
  }),
);

test("a handler's typed error reaches the caller with code, message and details", T, () =>
  withSet(async (set) => {
    const err = await set.client.work({ millis: 1, tag: "t1", failCode: "resource_exhausted" }).catch((e: unknown) => e);
    assert.ok(err instanceof RpcError, String(err));
    assert.equal(err.code, "RPC_ERROR");
    assert.equal(err.rpcCode, "resource_exhausted");
    assert.equal(err.message, "work t1 failed");
    const detail = err.findDetail<WorkFailure>("example.v1.WorkFailure");
    assert.equal(detail?.tag, "t1");
    assert.ok(set.pids.includes(detail!.workerPid));
  }),
);

test("a detail whose type the caller has not registered arrives as its type name and bytes", T, () =>
  withSet(async (set) => {
    const err = await set.client.work({ millis: 1, tag: "t2", failCode: "failed_precondition" }).catch((e: unknown) => e);
    assert.ok(err instanceof RpcError, String(err));
    assert.equal(err.rpcCode, "failed_precondition");
    assert.equal(err.details.length, 2, "no detail is dropped");
    const raw = err.details[1]!;
    assert.ok(!("$typeName" in raw), "StringValue is not registered in this process, so it stays raw");
    assert.equal(raw.typeName, "google.protobuf.StringValue");
    assert.equal(fromBinary(StringValueSchema, raw.value).value, "tag t2");
    // Decoded on demand with the schema, registered or not.
    assert.equal(err.findDetail(StringValueSchema)?.value, "tag t2");
    assert.equal(err.findDetail(WorkFailureSchema)?.tag, "t2");
  }),
);

test("a code a peer sends that is not an RpcCode becomes unknown; gRPC's spelling maps", T, async () => {
  for (const [sent, expected] of [
    ["TEAPOT", "unknown"],
    [42, "unknown"],
    ["RESOURCE_EXHAUSTED", "resource_exhausted"],
    ["CANCELLED", "canceled"],
    ["not_found", "not_found"],
  ] as const) {
    const [calls, incoming] = channel(CallChannel);
    const client = createClient(CalculatorService, calls);
    const answered = incoming.recv().then((call) => {
      call.reply.send({ error: { code: sent as string, message: "no", details: [] } });
      call.reply.close();
    });
    const err = await client.add({ a: 1n, b: 2n }).catch((e: unknown) => e);
    await answered;
    assert.ok(err instanceof RpcError, String(err));
    assert.equal(err.rpcCode, expected, `sent ${sent}`);
    calls.close();
  }
});

test("cancelling a call (AbortSignal) reaches the handler; so does a deadline", T, () =>
  withSet(async (set, printed) => {
    const abort = new AbortController();
    const call = set.client.work({ millis: 10_000, tag: "to-cancel" }, { signal: abort.signal });
    await printed("started to-cancel");
    abort.abort();
    await assert.rejects(call, AbortedError);
    await printed("cancelled to-cancel: the caller cancelled or went away");

    await assert.rejects(set.client.work({ millis: 10_000, tag: "too-slow" }, { timeoutMs: 300 }), TimeoutError);
    // The handler's own deadline and the caller giving up race; either cancels it.
    await printed("cancelled too-slow: *");

    // A server stream the caller stops reading is cancelled too.
    for await (const r of set.client.count({ count: 1_000, millisBetween: 20 })) if (r.n === 3) break;
    await printed("cancelled count at *");
  }),
);

test("one-way calls return at once; the worker still runs them", T, () =>
  withSet(async (set, printed) => {
    const r = await set.client.log({ line: "fire and forget" });
    assert.equal(r.$typeName, "google.protobuf.Empty");
    await printed("log fire and forget");
  }),
);

test("a multi-client server: 20 client processes call concurrently, each isolated", T, async () => {
  const server = await listenService(CalculatorService, {
    add: (req) => ({ sum: req.a + req.b, workerPid: process.pid }),
  });
  const clients = Array.from({ length: 20 }, () => new Child("calculator-client.ts", { PROTOCHAN_NAME: server.name, CALLS: "200" }));
  // One more client dies mid-run; the others do not notice.
  const victim = new Child("calculator-client.ts", { PROTOCHAN_NAME: server.name, CALLS: "1000000" });
  const reports = await Promise.all(clients.map((c) => c.next("done", 60_000)));
  victim.kill("SIGKILL");
  for (const r of reports) assert.deepEqual({ calls: r.calls, wrong: r.wrong }, { calls: 200, wrong: 0 });
  await Promise.all(clients.map((c) => c.succeeded()));
  await server.close();
});

test("a multi-client server: while 20 clients call, one is killed and another sends garbage; the 20 complete", T, async () => {
  const server = await listenService(CalculatorService, {
    add: (req) => ({ sum: req.a + req.b, workerPid: process.pid }),
  });
  const start = (mode: string) => new Child("calculator-client.ts", { PROTOCHAN_NAME: server.name, CALLS: "200", MODE: mode });
  const clients = Array.from({ length: 20 }, () => start("halfway"));
  const victim = start("busy");
  const vandal = start("garbage");
  const everyone = [...clients, victim, vandal];
  try {
    await Promise.all(everyone.map((c) => c.next("halfway", 60_000)));
    // Mid-run: the 20 go on calling while one client dies mid-call and another breaks the protocol.
    victim.tell("go");
    for (const c of clients) c.tell("go");
    vandal.tell("go");
    setTimeout(() => victim.kill("SIGKILL"), 20);
    const cut = await vandal.next("cut", 30_000);
    assert.notEqual(cut.code, "none", "the server answered a client that sent garbage");
    const reports = await Promise.all(clients.map((c) => c.next("done", 60_000)));
    for (const r of reports) assert.deepEqual({ calls: r.calls, wrong: r.wrong }, { calls: 200, wrong: 0 });
    await Promise.all(clients.map((c) => c.succeeded()));
    // The server still takes new clients.
    const late = start("halfway");
    await late.next("halfway", 60_000);
    late.tell("go");
    assert.deepEqual(await late.next("done", 60_000), { event: "done", calls: 200, wrong: 0 });
    await late.succeeded();
  } finally {
    for (const c of everyone) c.kill();
    await server.close();
  }
});
