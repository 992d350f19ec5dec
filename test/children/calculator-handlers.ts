// The example Calculator service's handlers, as the test workers run them
// (calculator-worker.ts) and as a gateway serves them in its own process
// (connect-gateway.ts). They say what they start and finish through `log`, so
// tests can synchronise on events.
import { create } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { RpcError, rpcCodeOf } from "protochan";
import { WorkFailureSchema } from "../../generated/example/v1/calculator_pb.js";
import type { CalculatorServiceHandler } from "../../generated/example/v1/calculator_rpc.js";

function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => resolve(true), ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve(false);
      },
      { once: true },
    );
  });
}

async function work(
  log: (line: string) => void,
  req: { millis: number; crash: boolean; failCode: string; tag: string },
  signal: AbortSignal,
) {
  log(`started ${req.tag}`);
  if (req.crash) process.kill(process.pid, "SIGKILL");
  if (req.tag === "hang") for (;;); // hung for good: deaf to cancellation, only a kill ends it
  const completed = await pause(req.millis, signal);
  if (!completed) log(`cancelled ${req.tag}: ${(signal.reason as Error).message}`);
  if (req.failCode !== "") {
    // Two details: one of a type the caller registered, one (a wrapper) of a type it did not.
    throw new RpcError(rpcCodeOf(req.failCode), `work ${req.tag} failed`, [
      create(WorkFailureSchema, { tag: req.tag, workerPid: process.pid }),
      { desc: StringValueSchema, value: { value: `tag ${req.tag}` } },
    ]);
  }
  log(`finished ${req.tag}`);
  return { workerPid: process.pid, tag: req.tag, cancelled: !completed };
}

/** The handlers; `log` gets each line they report (default: stdout). */
export function calculatorHandlers(log: (line: string) => void = console.log): CalculatorServiceHandler {
  return {
    add: (req) => ({ sum: req.a + req.b, workerPid: process.pid }),
    work: (req, ctx) => work(log, req, ctx.signal),
    workIdempotent: (req, ctx) => work(log, req, ctx.signal),
    async *count(req, ctx) {
      for (let n = 1; n <= req.count; n++) {
        if (req.millisBetween > 0 && !(await pause(req.millisBetween, ctx.signal))) {
          log(`cancelled count at ${n}`);
          return;
        }
        yield { n };
      }
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
      log(`log ${req.line}`);
      return {};
    },
  };
}
