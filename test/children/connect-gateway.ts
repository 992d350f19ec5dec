// A gateway process: the example Calculator service served over gRPC and
// Connect by ConnectServer, from a WorkerSet (MODE=workers, COUNT workers
// running calculator-worker.ts) or from the same handlers in this process
// (MODE=impl). What the handlers log arrives as "output" events. ADDRESS,
// CERT/KEY (TLS), CA + MTLS=1 (mutual TLS) configure the server. It serves
// until stdin closes, then closes the server and the pool.
import { WorkerSet } from "protochan";
import { ConnectServer } from "protochan/connect";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";
import "../../generated/example/v1/calculator_chan.js";
import { instruction, report } from "../helpers/child.js";
import { calculatorHandlers } from "./calculator-handlers.js";

const env = process.env;
const output = (line: string) => report("output", { line });
const pool =
  env.MODE === "workers"
    ? WorkerSet.start({
        service: CalculatorService,
        entry: new URL("./calculator-worker.ts", import.meta.url),
        count: Number(env.COUNT ?? "2"),
        output: "capture",
      })
    : undefined;
pool?.on("output", ({ line }) => output(line));
await pool?.ready({ timeoutMs: 20_000 });

const server = await ConnectServer.listen(CalculatorService, pool ?? calculatorHandlers(output), {
  address: env.ADDRESS,
  tls: env.CERT === undefined ? undefined : { cert: env.CERT, key: env.KEY, ca: env.CA, requireClientCert: env.MTLS === "1" },
});
server.on("rejected", (err) => report("rejected", { message: err.message, code: (err as { code?: string }).code }));
report("listening", { address: server.address, url: server.url, pids: pool?.pids ?? [process.pid] });

while ((await instruction()) !== "");
await server.close();
await server.close();
await pool?.close();
report("closed");
