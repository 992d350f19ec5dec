// Starts WorkerSets of the Calculator worker for the tests, capturing output
// lines so tests can wait for what a worker printed.
import { fileURLToPath } from "node:url";
import { WorkerSet, type WorkerSetOptions } from "protochan";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";

export const workerEntry = fileURLToPath(new URL("../children/calculator-worker.ts", import.meta.url));

export type CalculatorSet = WorkerSet<typeof CalculatorService>;

export function startCalculators(options: Partial<WorkerSetOptions<typeof CalculatorService>> = {}): {
  set: CalculatorSet;
  /** Resolves with the worker id once some worker prints `line` (or, with a trailing "*", a line starting so). */
  printed(line: string): Promise<number>;
} {
  const set = WorkerSet.start({ service: CalculatorService, entry: workerEntry, output: "capture", ...options });
  const seen: { line: string; id: number }[] = [];
  const waiting: { pattern: string; wake: (id: number) => void }[] = [];
  const matches = (pattern: string, line: string) => (pattern.endsWith("*") ? line.startsWith(pattern.slice(0, -1)) : line === pattern);
  set.on("output", ({ id, line }) => {
    const i = waiting.findIndex((w) => matches(w.pattern, line));
    if (i >= 0) waiting.splice(i, 1)[0]!.wake(id);
    else seen.push({ line, id });
  });
  const printed = (pattern: string) => {
    const i = seen.findIndex((s) => matches(pattern, s.line));
    if (i >= 0) return Promise.resolve(seen.splice(i, 1)[0]!.id);
    return new Promise<number>((wake) => waiting.push({ pattern, wake }));
  };
  return { set, printed };
}
