// A Calculator worker: started by host.ts through a WorkerSet, it connects
// back with runWorker() and serves calls until the host is done with it.
import { RpcError, rpcCodeOf, runWorker } from "protochan";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";
import type { CalculatorServiceHandler } from "../../generated/example/v1/calculator_rpc.js";
import "../../generated/example/v1/calculator_chan.js";

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

const calculator: CalculatorServiceHandler = {
  add: (req) => ({ sum: req.a + req.b, workerPid: process.pid }),
  async work(req, ctx) {
    await sleep(req.millis, ctx.signal);
    if (req.failCode !== "") throw new RpcError(rpcCodeOf(req.failCode), `work ${req.tag} failed`);
    return { workerPid: process.pid, tag: req.tag, cancelled: ctx.signal.aborted };
  },
  async workIdempotent(req, ctx) {
    await sleep(req.millis, ctx.signal);
    return { workerPid: process.pid, tag: req.tag, cancelled: ctx.signal.aborted };
  },
  async *count(req) {
    for (let n = 1; n <= req.count; n++) yield { n };
  },
  async sum(requests) {
    let sum = 0n;
    for await (const r of requests) sum += r.a + r.b;
    return { sum, workerPid: process.pid };
  },
  async *echo(messages) {
    for await (const m of messages) yield { text: m.text.toUpperCase() };
  },
  log(req) {
    console.log(req.line);
    return {};
  },
};

await runWorker(CalculatorService, calculator);
