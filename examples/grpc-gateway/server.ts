// gRPC gateway example: a pool of Calculator workers (the worker-pool
// example's worker.ts) served to gRPC, gRPC-Web and Connect clients. Each
// incoming call goes to an idle worker.
//
//   npm run example:grpc          serves, runs client.ts against it once, and stops
//   node --conditions=source --import tsx examples/grpc-gateway/server.ts --serve
//                                 serves on tcp:127.0.0.1:50051 until Ctrl-C
import { spawn } from "node:child_process";
import { once } from "node:events";
import { WorkerSet } from "protochan";
import { ConnectServer } from "protochan/connect";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";
import "../../generated/example/v1/calculator_chan.js";

const log = (...args: unknown[]) => console.log("[gateway]", ...args);
const serveOnly = process.argv.includes("--serve");

const pool = WorkerSet.start({ service: CalculatorService, entry: new URL("../worker-pool/worker.ts", import.meta.url), count: 2 });
await pool.ready({ timeoutMs: 30_000 });
log(`2 workers ready (pids ${pool.pids.join(", ")})`);

const server = await ConnectServer.listen(CalculatorService, pool, { address: serveOnly ? "tcp:127.0.0.1:50051" : "tcp:127.0.0.1:0" });
server.on("rejected", (err) => log(`client refused: ${err.message}`));
log(`serving example.v1.CalculatorService on ${server.address} (${server.url})`);

async function shutDown(): Promise<void> {
  await server.close(); // calls in flight finish first
  await pool.close();
  log("closed");
}

if (serveOnly) {
  log(
    `try: npx buf curl --schema schema --protocol grpc --http2-prior-knowledge -d '{"a":2,"b":3}' ${server.url}/example.v1.CalculatorService/Add`,
  );
  process.once("SIGINT", () => void shutDown());
  process.once("SIGTERM", () => void shutDown());
} else {
  // The client is another process, holding no protochan code.
  const client = new URL("client.ts", import.meta.url).pathname;
  const child = spawn(process.execPath, [...process.execArgv, client, server.address.slice("tcp:".length), server.url], {
    stdio: "inherit",
  });
  const [code] = await once(child, "exit");
  await shutDown();
  if (code !== 0) throw new Error(`the client failed (exit code ${code})`);
}
