// The call interaction several contract tests record: Add, as a consumer of
// the Calculator would use it. Imports no _chan.ts (see mismatch.test.ts).
import assert from "node:assert/strict";
import { MatchersV3 } from "@pact-foundation/pact";
import { connectService } from "../../src/index.js";
import { type Contract, ContractMismatchError, type VerifyOptions, verify } from "../../src/contract.js";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";

process.env.PACT_DO_NOT_TRACK = "true";
const { like, integer } = MatchersV3;

/** Records "adds two numbers": the consumer's real client code against the mock service. */
export async function recordAdd(contract: Contract): Promise<void> {
  await contract
    .call(CalculatorService.method.add, {
      description: "adds two numbers",
      request: { a: like("2"), b: like("3") },
      response: { sum: like("5"), workerPid: integer(1234) },
    })
    .run(async (mock) => {
      const { client, close } = await connectService(CalculatorService, mock.name);
      const r = await client.add({ a: 20n, b: 22n }, { timeoutMs: 10_000 });
      close();
      assert.equal(r.sum, 5n, "the mock answers with the interaction's example");
      assert.deepEqual(mock.requests, [{ a: "20", b: "22" }]);
    });
}

/** Runs verify(), which must fail with a ContractMismatchError. */
export async function verifyFails(options: VerifyOptions): Promise<ContractMismatchError> {
  const err = await verify(options).then(
    () => assert.fail("verification passed"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ContractMismatchError, String(err));
  return err;
}
