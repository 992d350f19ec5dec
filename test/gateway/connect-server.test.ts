// Issue #13 items 2-3: the example Calculator served by ConnectServer in a
// child process (from a WorkerSet of calculator-worker.ts, or from the same
// handlers in its own process), called by clients holding no protochan code:
// @grpc/grpc-js, and Connect clients over the gRPC and Connect protocols.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { fromConnectError } from "protochan/connect";
import {
  CalculatorService,
  WorkFailureSchema,
  type AddResponse,
  type CountResponse,
  type EchoMessage,
  type WorkResponse,
} from "../../generated/example/v1/calculator_pb.js";
import { gateway, grpcClient } from "../helpers/gateway.js";
import { connectClients, statusDetails, unary } from "../helpers/grpc-calculator.js";

const T = { timeout: 60_000 };
const method = (name: string) => CalculatorService.methods.find((m) => m.name === name)!;

/** Add, Count, Sum and Echo through grpc-js. */
async function fourKindsWithGrpcJs(client: grpc.Client): Promise<void> {
  const added = await unary<AddResponse>(client, method("Add"), { a: 2n, b: 40n });
  assert.equal(added.sum, 42n);

  const counted: number[] = [];
  const stream = (client as unknown as { count(r: object): grpc.ClientReadableStream<CountResponse> }).count({ count: 5 });
  for await (const r of stream) counted.push((r as CountResponse).n);
  assert.deepEqual(counted, [1, 2, 3, 4, 5]);

  const summed = await new Promise<AddResponse>((resolve, reject) => {
    const call = (
      client as unknown as { sum(cb: (e: grpc.ServiceError | null, r?: AddResponse) => void): grpc.ClientWritableStream<object> }
    ).sum((err, res) => (err === null ? resolve(res!) : reject(err)));
    for (let i = 1n; i <= 10n; i++) call.write({ a: i, b: 0n });
    call.end();
  });
  assert.equal(summed.sum, 55n);

  const echo = (client as unknown as { echo(): grpc.ClientDuplexStream<object, EchoMessage> }).echo();
  echo.write({ text: "hello" });
  echo.write({ text: "grpc" });
  echo.end();
  const echoed: string[] = [];
  for await (const m of echo) echoed.push((m as EchoMessage).text);
  assert.deepEqual(echoed, ["HELLO", "GRPC"]);
}

/** The same four through a Connect client (either protocol). */
async function fourKindsWithConnect(client: ReturnType<typeof connectClients>["grpc"]): Promise<void> {
  assert.equal((await client.add({ a: 2n, b: 40n })).sum, 42n);
  const counted: number[] = [];
  for await (const r of client.count({ count: 3 })) counted.push(r.n);
  assert.deepEqual(counted, [1, 2, 3]);
  async function* adds() {
    for (let i = 1n; i <= 4n; i++) yield { a: i, b: i };
  }
  assert.equal((await client.sum(adds())).sum, 20n);
  async function* texts() {
    yield { text: "a" };
    yield { text: "b" };
  }
  const echoed: string[] = [];
  for await (const m of client.echo(texts())) echoed.push(m.text);
  assert.deepEqual(echoed, ["A", "B"]);
}

for (const mode of ["workers", "impl"] as const) {
  test(
    `grpc-js and Connect clients call all four method kinds (${mode === "workers" ? "a WorkerSet of 2" : "handlers in the gateway process"})`,
    T,
    async (t) => {
      const gw = await gateway(t, { MODE: mode });
      await fourKindsWithGrpcJs(grpcClient(t, gw.address));
      const clients = connectClients(gw.url);
      await fourKindsWithConnect(clients.grpc);
      await fourKindsWithConnect(clients.connect);
    },
  );
}

test("a typed error arrives with its code and its WorkFailure detail (grpc-js, Connect gRPC, Connect)", T, async (t) => {
  const gw = await gateway(t, { MODE: "workers" });
  const client = grpcClient(t, gw.address);
  const err = await unary<WorkResponse>(client, method("Work"), { failCode: "failed_precondition", tag: "e1" }).then(
    () => assert.fail("Work should fail"),
    (e: grpc.ServiceError) => e,
  );
  assert.equal(err.code, grpc.status.FAILED_PRECONDITION);
  assert.equal(err.details, "work e1 failed");
  // grpc-js hands over the google.rpc.Status trailer as is: decode it with nothing but protobuf.
  const details = statusDetails(err.metadata.get("grpc-status-details-bin")[0] as Buffer);
  assert.deepEqual(
    details.map((d) => d.typeUrl),
    ["type.googleapis.com/example.v1.WorkFailure", "type.googleapis.com/google.protobuf.StringValue"],
  );
  const failure = fromBinary(WorkFailureSchema, details[0]!.value);
  assert.equal(failure.tag, "e1");
  assert.ok(gw.pids.includes(failure.workerPid), "the detail was made by a worker");

  for (const connect of Object.values(connectClients(gw.url))) {
    const cerr = await connect.work({ failCode: "not_found", tag: "e2" }).then(
      () => assert.fail("Work should fail"),
      (e: unknown) => e,
    );
    assert.ok(cerr instanceof ConnectError);
    assert.equal(cerr.code, Code.NotFound);
    assert.equal(cerr.rawMessage, "work e2 failed");
    assert.equal(cerr.findDetails(WorkFailureSchema)[0]?.tag, "e2");
    // Back to protochan's RpcError: same code, same detail bytes.
    const rpc = fromConnectError(cerr);
    assert.equal(rpc.rpcCode, "not_found");
    assert.equal(rpc.findDetail(WorkFailureSchema)?.tag, "e2");
    assert.deepEqual(
      rpc.rawDetails.map((d) => d.typeName),
      ["example.v1.WorkFailure", "google.protobuf.StringValue"],
    );
  }
});

for (const mode of ["workers", "impl"] as const) {
  test(`a client deadline and a client cancel reach the handler's ctx.signal (${mode})`, T, async (t) => {
    const gw = await gateway(t, { MODE: mode });
    const client = grpcClient(t, gw.address);
    // A minute of work, a 1 s deadline (time for the call to reach the handler on a loaded machine):
    // the handler itself reports that its signal aborted.
    const err = await unary(client, method("Work"), { millis: 60_000, tag: "d1" }, { deadline: Date.now() + 1000 }).then(
      () => assert.fail("Work should time out"),
      (e: grpc.ServiceError) => e,
    );
    assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED);
    assert.equal((await gw.child.next("output")).line, "started d1");
    assert.match((await gw.child.next("output")).line as string, /^cancelled d1: /);
    assert.equal((await gw.child.next("output")).line, "finished d1");

    // A Connect client that gives up: the handler sees the cancellation.
    const abort = new AbortController();
    const call = connectClients(gw.url).connect.work({ millis: 60_000, tag: "c1" }, { signal: abort.signal });
    assert.equal((await gw.child.next("output")).line, "started c1");
    abort.abort();
    await assert.rejects(call, (e: unknown) => e instanceof ConnectError && e.code === Code.Canceled);
    assert.match((await gw.child.next("output")).line as string, /^cancelled c1: /);
  });
}

test("a WorkerSet of 2 behind the server answers 1,000 concurrent grpc-js calls, spread over both workers", T, async (t) => {
  const gw = await gateway(t, { MODE: "workers", COUNT: "2" });
  assert.equal(gw.pids.length, 2);
  const client = grpcClient(t, gw.address);
  const replies = await Promise.all(
    Array.from({ length: 1000 }, (_, i) => unary<AddResponse>(client, method("Add"), { a: BigInt(i), b: 1n })),
  );
  assert.deepEqual(
    replies.map((r) => r.sum),
    Array.from({ length: 1000 }, (_, i) => BigInt(i + 1)),
  );
  const byWorker = new Map<number, number>();
  for (const r of replies) byWorker.set(r.workerPid, (byWorker.get(r.workerPid) ?? 0) + 1);
  assert.deepEqual([...byWorker.keys()].sort(), [...gw.pids].sort(), `calls per worker: ${JSON.stringify([...byWorker])}`);
});
