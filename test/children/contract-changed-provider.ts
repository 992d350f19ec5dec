// A Calculator provider built from a changed schema (AddResponse.worker_pid is
// a string): the contract tests expect its verification to fail on that field.
import { runWorker, type ServiceImpl } from "protochan";
import { ChangedCalculatorService } from "../contract/changed-schema.js";

const impl = {
  add: (req: { a: bigint; b: bigint }) => ({ sum: req.a + req.b, workerPid: String(process.pid) }),
} as unknown as ServiceImpl<typeof ChangedCalculatorService>;
await runWorker(ChangedCalculatorService, impl);
