// A client of the gateway in server.ts, as any team outside protochan would
// write it: @grpc/grpc-js with serializers from the protoc-gen-es code, and
// Connect clients over the gRPC and Connect protocols.
//
//   node --import tsx examples/grpc-gateway/client.ts <host:port> <url>
import { create, fromBinary, toBinary, type DescMessage } from "@bufbuild/protobuf";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { AddRequestSchema, AddResponseSchema, CalculatorService } from "../../generated/example/v1/calculator_pb.js";

const [target, url] = process.argv.slice(2);
if (target === undefined || url === undefined) throw new Error("usage: client.ts <host:port> <url>");
const log = (...args: unknown[]) => console.log("[client]", ...args);

// grpc-js: one method by hand, as with any generic gRPC client.
const codec = <D extends DescMessage>(desc: D) => ({
  serialize: (m: Parameters<typeof toBinary<D>>[1]) => Buffer.from(toBinary(desc, m)),
  deserialize: (b: Buffer) => fromBinary(desc, b),
});
const GrpcCalculator = grpc.makeGenericClientConstructor(
  {
    add: {
      path: "/example.v1.CalculatorService/Add",
      requestStream: false,
      responseStream: false,
      requestSerialize: codec(AddRequestSchema).serialize,
      requestDeserialize: codec(AddRequestSchema).deserialize,
      responseSerialize: codec(AddResponseSchema).serialize,
      responseDeserialize: codec(AddResponseSchema).deserialize,
    },
  },
  "CalculatorService",
);
type AddCallback = (err: grpc.ServiceError | null, res: { workerPid: number }) => void;
const grpcClient = new GrpcCalculator(target, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
  add(request: object, callback: AddCallback): grpc.ClientUnaryCall;
};
const pids = new Set<number>();
await Promise.all(
  Array.from(
    { length: 100 },
    (_, i) =>
      new Promise<void>((resolve, reject) =>
        grpcClient.add(create(AddRequestSchema, { a: BigInt(i), b: 1n }), (err, res) => {
          if (err !== null) return reject(err);
          pids.add(res.workerPid);
          resolve();
        }),
      ),
  ),
);
grpcClient.close();
log(`grpc-js: 100 Add calls answered by worker pids ${[...pids].sort().join(", ")}`);

for (const [name, transport] of [
  ["Connect (gRPC protocol)", createGrpcTransport({ baseUrl: url })],
  ["Connect (Connect protocol)", createConnectTransport({ baseUrl: url, httpVersion: "2" })],
] as const) {
  const calculator = createClient(CalculatorService, transport);
  const counted: number[] = [];
  for await (const r of calculator.count({ count: 5 })) counted.push(r.n);
  async function* numbers() {
    for (let i = 1n; i <= 100n; i++) yield { a: i, b: 0n };
  }
  const { sum } = await calculator.sum(numbers());
  async function* words() {
    yield* [{ text: "hello" }, { text: "gateway" }];
  }
  const echoed: string[] = [];
  for await (const m of calculator.echo(words())) echoed.push(m.text);
  log(`${name}: count 1..5 = ${counted.join(",")}; sum of 1..100 = ${sum}; echo = ${echoed.join(" ")}`);
  try {
    await calculator.work({ millis: 60_000 }, { timeoutMs: 200 });
  } catch (err) {
    log(`${name}: a 60 s Work with a 200 ms deadline: ${ConnectError.from(err).message}`);
  }
  try {
    await calculator.work({ failCode: "permission_denied", tag: "x" });
  } catch (err) {
    log(`${name}: a failing Work: ${ConnectError.from(err).message}`);
  }
}
