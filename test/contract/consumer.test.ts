// The consumer side's checks: examples that are not the type's JSON mapping,
// interactions the consumer's code never exercised, client streaming as an
// array of requests, a response of defaults. The mock is a real server in this process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MatchersV3 } from "@pact-foundation/pact";
import { connectService } from "../../src/index.js";
import { Contract, ContractMismatchError } from "../../src/contract.js";
import { InvalidArgumentError } from "../../src/errors.js";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";
import "../../generated/example/v1/calculator_chan.js";

process.env.PACT_DO_NOT_TRACK = "true";
const { like, eachLike } = MatchersV3;

function tempContract(t: { after(fn: () => void): void }): { contract: Contract; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "contract-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return { contract: Contract.create({ consumer: "c", provider: "p", dir, logLevel: "error" }), file: join(dir, "c-p.json") };
}

test("an example that is not the type's JSON mapping fails the test, and nothing is written", { timeout: 20_000 }, async (t) => {
  const { contract, file } = tempContract(t);
  const run = contract
    .call(CalculatorService.method.add, { description: "bad", request: { a: like("1"), bee: like("2") }, response: { sum: like("3") } })
    .run(async () => assert.fail("the consumer's code must not run"));
  await assert.rejects(run, (err: unknown) => err instanceof InvalidArgumentError && /example\.v1\.AddRequest.*bee/.test(err.message));
  assert.equal(existsSync(file), false);
});

test("a consumer that never makes the call fails with CONTRACT_MISMATCH, and nothing is written", { timeout: 20_000 }, async (t) => {
  const { contract, file } = tempContract(t);
  const run = contract
    .call(CalculatorService.method.add, { description: "unused", request: { a: "1", b: "2" }, response: { sum: "3" } })
    .run(async () => {});
  await assert.rejects(
    run,
    (err: unknown) => err instanceof ContractMismatchError && /never called example\.v1\.CalculatorService\.Add/.test(err.message),
  );
  assert.equal(existsSync(file), false);
});

test("client streaming records an array of requests; a response of defaults is {}", { timeout: 20_000 }, async (t) => {
  const { contract, file } = tempContract(t);
  await contract
    .call(CalculatorService.method.sum, {
      description: "sums",
      request: eachLike({ a: like("1"), b: like("0") }, 2),
      response: { sum: like("2") },
    })
    .run(async (mock) => {
      using conn = await connectService(CalculatorService, mock.name);
      async function* twice() {
        yield { a: 1n, b: 0n };
        yield { a: 1n, b: 0n };
      }
      assert.equal((await conn.client.sum(twice(), { timeoutMs: 5_000 })).sum, 2n);
      assert.equal(mock.requests.length, 2);
    });
  await contract
    .call(CalculatorService.method.workIdempotent, { description: "works", request: { tag: like("t") }, response: {} })
    .run(async (mock) => {
      using conn = await connectService(CalculatorService, mock.name);
      const r = await conn.client.workIdempotent({ tag: "x" }, { timeoutMs: 5_000 });
      assert.equal(r.tag, "");
    });
  const pact = JSON.parse(readFileSync(file, "utf8")) as {
    interactions: { description: string; request: { contents: { content: unknown } } }[];
  };
  const sums = pact.interactions.find((i) => i.description === "sums")!;
  assert.deepEqual(sums.request.contents.content, [
    { a: "1", b: "0" },
    { a: "1", b: "0" },
  ]);
});
