// A Calculator provider built from a changed schema (SCHEMA_CHANGE: "retype"
// or "add", see changed-schema.ts), for the contract tests.
import { runWorker, type ServiceImpl } from "protochan";
import { changedCalculatorService, type SchemaChangeKind } from "../contract/changed-schema.js";

const change = process.env.SCHEMA_CHANGE as SchemaChangeKind;
const service = changedCalculatorService(change);
const impl = {
  add: (req: { a: bigint; b: bigint }) =>
    change === "retype"
      ? { sum: req.a + req.b, workerPid: String(process.pid) }
      : { sum: req.a + req.b, workerPid: process.pid, note: "new" },
} as unknown as ServiceImpl<typeof service>;
await runWorker(service, impl);
