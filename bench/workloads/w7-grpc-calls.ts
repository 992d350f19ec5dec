// W7: unary calls through the gRPC road: Calculator.Add served by a
// protochan/connect ConnectServer against the same handler served by a
// @grpc/grpc-js Server, in the same run. The client is grpc-js in a peer
// process for both, over loopback TCP (h2c), LANES callers each keeping one
// call in flight. The ratio is the gateway's cost over grpc-js's own server.
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { ConnectServer } from "protochan/connect";
import { AddResponseSchema, CalculatorService, type AddRequest } from "../../generated/example/v1/calculator_pb.js";
import { grpcClientOf, grpcDefinitionOf, unary } from "../../test/helpers/grpc-calculator.js";
import { median, now, requireEnv, seconds, spawnPeer, tellParent, type Row, type RunOptions, type Workload } from "../harness.js";

const CALLS = 5_000;
const WARMUP = 1_000;
const LANES = 4;

/** The one handler both servers run. */
const add = (req: AddRequest) => ({ sum: req.a + req.b, workerPid: process.pid });

async function connectServer(): Promise<{ target: string; close: () => Promise<void> }> {
  const server = await ConnectServer.listen(CalculatorService, { add });
  return { target: server.address.slice("tcp:".length), close: () => server.close() };
}

async function grpcServer(): Promise<{ target: string; close: () => Promise<void> }> {
  const server = new grpc.Server();
  server.addService(grpcDefinitionOf(CalculatorService), {
    add: (call: grpc.ServerUnaryCall<AddRequest, unknown>, callback: grpc.sendUnaryData<unknown>) =>
      callback(null, create(AddResponseSchema, add(call.request))),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    target: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** The calls/s a grpc-js client in a peer process gets from the server `start` makes. */
async function rate(start: () => Promise<{ target: string; close: () => Promise<void> }>, calls: number): Promise<number> {
  const server = await start();
  const peer = spawnPeer("w7", "client", { BENCH_TARGET: server.target, BENCH_CALLS: String(calls) });
  try {
    const result = await peer.guard(peer.next(120_000), 120_000);
    await peer.done();
    return Number(result.rate);
  } finally {
    peer.kill();
    await server.close();
  }
}

export const w7: Workload = {
  id: "w7",
  title: `W7: unary gRPC calls (grpc-js client, ${LANES} in flight), ${CALLS.toLocaleString("en")} calls after ${WARMUP.toLocaleString("en")} warm-up`,

  async run(options: RunOptions): Promise<Row[]> {
    const calls = Math.max(LANES * 100, Math.round(CALLS * options.scale));
    const p: number[] = [];
    const g: number[] = [];
    for (let i = 0; i < options.repeat; i++) {
      p.push(await rate(connectServer, calls));
      g.push(await rate(grpcServer, calls));
      options.log(`  W7 run ${i + 1}: protochan/connect ${p[i]!.toFixed(0)} calls/s, @grpc/grpc-js server ${g[i]!.toFixed(0)} calls/s`);
    }
    return [
      {
        label: "W7 unary gRPC calls/s, protochan/connect server",
        unit: "calls/s",
        better: "higher",
        protochan: median(p),
        raw: median(g),
        rawLabel: "@grpc/grpc-js server, same handler",
        samples: { protochan: p, raw: g },
      },
    ];
  },

  async peer(mode: string): Promise<void> {
    if (mode !== "client") throw new Error(`W7: unknown peer mode ${mode}`);
    const calls = Number(requireEnv("BENCH_CALLS"));
    const Calculator = grpcClientOf(CalculatorService);
    const client = new Calculator(requireEnv("BENCH_TARGET"), grpc.credentials.createInsecure());
    const method = CalculatorService.method.add;
    const lane = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const r = await unary<{ sum: bigint }>(client, method, { a: BigInt(i), b: 1n });
        if (r.sum !== BigInt(i) + 1n) throw new Error("W7: wrong sum");
      }
    };
    await Promise.all(Array.from({ length: LANES }, () => lane(WARMUP / LANES)));
    const t0 = now();
    await Promise.all(Array.from({ length: LANES }, () => lane(calls / LANES)));
    const rate = calls / seconds(t0, now());
    client.close();
    await tellParent({ rate });
  },

  notes: () => [
    `W7: each call is Calculator.Add from a grpc-js client in another process (${LANES} callers, one call in flight each, one HTTP/2 connection, h2c on loopback). protochan: served by ConnectServer (protochan/connect over @connectrpc/connect-node) from a ServiceImpl; raw: the same handler on a @grpc/grpc-js Server.`,
  ],
};
