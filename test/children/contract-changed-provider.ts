// A Calculator provider built from a changed schema (SCHEMA_CHANGE: "retype"
// or "add", see changed-schema.ts), for the contract tests.
import { create } from "@bufbuild/protobuf";
import { connect, runWorker, type ServiceImpl } from "protochan";
import { defineChannel } from "protochan/codegenv1";
import { CONTRACT_ENV } from "protochan/contract";
import { changedCalculatorService, retypedPongSchema, type SchemaChangeKind } from "../contract/changed-schema.js";

const change = process.env.SCHEMA_CHANGE as SchemaChangeKind;
const service = changedCalculatorService(change);
const impl = {
  add: (req: { a: bigint; b: bigint }) =>
    change === "retype"
      ? { sum: req.a + req.b, workerPid: String(process.pid) }
      : { sum: req.a + req.b, workerPid: process.pid, note: "new" },
} as unknown as ServiceImpl<typeof service>;
if (process.env[CONTRACT_ENV.message] === undefined) await runWorker(service, impl);
else {
  const pong = retypedPongSchema();
  const tx = await connect(defineChannel(pong), process.env[CONTRACT_ENV.name]!);
  tx.send(create(pong, { seq: 7n, text: "pong", childPid: String(process.pid) } as never));
  tx.close();
}
