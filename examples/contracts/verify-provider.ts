// The provider's side of the contracts example: verifies the real provider
// program against the contract the consumer wrote, with Pact's verifier.
// Exits 1, printing each mismatch, if the provider breaks the contract.
import { fileURLToPath } from "node:url";
import { ContractMismatchError, verify } from "protochan/contract";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";
import "../../generated/example/v1/calculator_chan.js";
import { PongSchema } from "../../generated/example/v1/example_pb.js";
import "../../generated/example/v1/example_chan.js";

process.env.PACT_DO_NOT_TRACK = "true";

try {
  const report = await verify({
    provider: "calculator",
    pactUrls: [process.env.PACT_DIR ?? fileURLToPath(new URL("pacts/", import.meta.url))],
    entry: new URL("provider.ts", import.meta.url),
    service: CalculatorService,
    messages: [PongSchema],
    stateHandlers: { "a ping was sent": () => console.log("[provider] state: a ping was sent") },
    logLevel: "error",
  });
  console.log(`[provider] verified ${report.verified.length} interactions: ${report.verified.join("; ")}`);
} catch (err) {
  if (!(err instanceof ContractMismatchError)) throw err;
  console.error(err.message);
  process.exitCode = 1;
}
