// A provider whose schema changed one field's value type fails verification,
// and the error names the interaction, the field, the expected and the actual
// value. This file imports no _chan.ts: the changed and the original
// Calculator types meet here, and only the reflective codecs tell them apart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { OneShotServer } from "../../src/index.js";
import { Contract, verify } from "../../src/contract.js";
import { recordAdd, verifyFails } from "./fixtures.js";
import { changedCalculatorService, retypedPongSchema } from "./changed-schema.js";
import { MatchersV3 } from "@pact-foundation/pact";
import { PongSchema } from "../../generated/example/v1/example_pb.js";

const child = (name: string) => fileURLToPath(new URL(`../children/${name}`, import.meta.url));

test("a provider that changes one field's value type fails verification naming that field", { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "contract-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await recordAdd(Contract.create({ consumer: "calc-consumer", provider: "calculator", dir, logLevel: "error" }));

  const failed = await verifyFails({
    provider: "calculator",
    pactUrls: [dir],
    entry: child("contract-changed-provider.ts"),
    env: { SCHEMA_CHANGE: "retype" },
    service: changedCalculatorService("retype"),
    logLevel: "error",
  });
  assert.equal(failed.code, "CONTRACT_MISMATCH");
  assert.equal(failed.mismatches.length, 1, failed.message);
  const [m] = failed.mismatches;
  assert.equal(m!.interaction, "adds two numbers");
  assert.equal(m!.path, "$.workerPid");
  assert.equal(m!.expected, "1234");
  assert.match(m!.actual, /^"\d+"$/);
  assert.match(failed.message, /interaction "adds two numbers": \$\.workerPid: expected 1234, actual "\d+"/);
});

test("a message whose field changed its value type fails verification naming that field", { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "contract-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await Contract.create({ consumer: "pong-reader", provider: "pong-producer", dir, logLevel: "error" })
    .message(PongSchema, { description: "a pong", contents: { seq: MatchersV3.like("7"), childPid: MatchersV3.integer(99) } })
    .run(async (mock) => {
      const { server, name } = await OneShotServer.create(PongSchema);
      const [, { first }] = await Promise.all([mock.sendTo(name), server.accept({ timeoutMs: 10_000 })]);
      await server.close();
      assert.equal((first as { childPid: number }).childPid, 99);
    });

  const failed = await verifyFails({
    provider: "pong-producer",
    pactUrls: [dir],
    entry: child("contract-changed-provider.ts"),
    env: { SCHEMA_CHANGE: "retype" },
    messages: [retypedPongSchema()],
    logLevel: "error",
  });
  assert.deepEqual(
    failed.mismatches.map((m) => [m.interaction, m.path, m.expected]),
    [["a pong", "$.childPid", "99"]],
  );
  assert.match(failed.mismatches[0]!.actual, /^"\d+"$/);
});

test("a provider with a compatible change (a field added) verifies, and the changed digest is reported", { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "contract-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await recordAdd(Contract.create({ consumer: "calc-consumer", provider: "calculator", dir, logLevel: "error" }));
  const report = await verify({
    provider: "calculator",
    pactUrls: [dir],
    entry: child("contract-changed-provider.ts"),
    env: { SCHEMA_CHANGE: "add" },
    service: changedCalculatorService("add"),
    logLevel: "error",
  });
  assert.deepEqual(report.verified, ["adds two numbers"]);
  assert.equal(report.schemaChanges.length, 1);
  const [change] = report.schemaChanges;
  assert.equal(change!.interaction, "adds two numbers");
  assert.equal(change!.typeName, "example.v1.CalculatorService.Add");
  assert.notEqual(change!.recorded, change!.provider);
});
