// Starts WorkerSets of the Calculator worker for the tests, capturing output
// lines so tests can wait for what a worker printed.
import { fileURLToPath } from "node:url";
import { WorkerSet, type WorkerSetOptions } from "protochan";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";

export const workerEntry = fileURLToPath(new URL("../children/calculator-worker.ts", import.meta.url));

export type CalculatorSet = WorkerSet<typeof CalculatorService>;

export function startCalculators(options: Partial<WorkerSetOptions<typeof CalculatorService>> = {}): {
  set: CalculatorSet;
  /** Resolves with the worker id once some worker prints `line`. */
  printed(line: string): Promise<number>;
} {
  const set = WorkerSet.start({ service: CalculatorService, entry: workerEntry, output: "capture", ...options });
  const seen = new Map<string, number>();
  const waiting = new Map<string, (id: number) => void>();
  set.on("output", ({ id, line }) => {
    const wake = waiting.get(line);
    if (wake !== undefined) {
      waiting.delete(line);
      wake(id);
    } else seen.set(line, id);
  });
  const printed = (line: string) =>
    seen.has(line) ? Promise.resolve(seen.get(line)!) : new Promise<number>((resolve) => waiting.set(line, resolve));
  return { set, printed };
}
