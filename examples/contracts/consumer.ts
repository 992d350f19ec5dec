// The consumer's side of the contracts example: a program that uses the
// Calculator service and reads Pong messages, and its contract test. The test
// runs the consumer's real code against mock providers that speak the
// protochan wire, and Pact writes the contract (a V4 file) into pacts/.
//
//   npm run example:contracts     (this, then verify-provider.ts)
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MatchersV3 } from "@pact-foundation/pact";
import { OneShotServer, connectService, type Receiver } from "protochan";
import { Contract } from "protochan/contract";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";
import type { CalculatorServiceClient } from "../../generated/example/v1/calculator_rpc.js";
import "../../generated/example/v1/calculator_chan.js";
import { PongChannel } from "../../generated/example/v1/example_chan.js";
import { type Pong, PongSchema } from "../../generated/example/v1/example_pb.js";

process.env.PACT_DO_NOT_TRACK = "true";
const { like, integer, eachLike } = MatchersV3;

// ---- the consumer's code ----

/** Adds up an invoice's lines with the calculator. */
async function invoiceTotal(calc: CalculatorServiceClient, lines: readonly bigint[]): Promise<bigint> {
  let total = 0n;
  for (const line of lines) total = (await calc.add({ a: total, b: line }, { timeoutMs: 5_000 })).sum;
  return total;
}

/** Counts down from the calculator's count stream. */
async function countdown(calc: CalculatorServiceClient, from: number): Promise<number[]> {
  const got: number[] = [];
  for await (const r of calc.count({ count: from }, { timeoutMs: 5_000 })) got.unshift(r.n);
  return got;
}

/** Waits for the producer's first Pong. */
async function firstPong(server: OneShotServer<Pong>): Promise<{ pong: Pong; rest: Receiver<Pong> }> {
  const { first, receiver } = await server.accept({ timeoutMs: 5_000 });
  return { pong: first, rest: receiver };
}

// ---- its contract test ----

// PACT_DIR: where the contract goes (default examples/contracts/pacts/, git-ignored); written afresh each run.
const dir = process.env.PACT_DIR ?? fileURLToPath(new URL("pacts/", import.meta.url));
rmSync(dir, { recursive: true, force: true });
const contract = Contract.create({ consumer: "invoice-app", provider: "calculator", dir, logLevel: "error" });

await contract
  .call(CalculatorService.method.add, {
    description: "adds a line to a total",
    request: { a: like("10"), b: like("5") },
    response: { sum: like("15"), workerPid: integer(1) },
  })
  .run(async (mock) => {
    using conn = await connectService(CalculatorService, mock.name);
    // The mock answers every call with the interaction's example: 15.
    assert.equal(await invoiceTotal(conn.client, [10n]), 15n);
  });

await contract
  .call(CalculatorService.method.count, {
    description: "counts up to a number",
    request: { count: 3 },
    response: eachLike({ n: integer(1) }, 3),
  })
  .run(async (mock) => {
    using conn = await connectService(CalculatorService, mock.name);
    assert.equal((await countdown(conn.client, 3)).length, 3);
  });

await contract
  .message(PongSchema, {
    description: "a pong for a ping",
    given: { name: "a ping was sent", params: { seq: 42 } },
    contents: { seq: like("42"), text: like("pong"), childPid: integer(1) },
  })
  .run(async (mock) => {
    const { server, name } = await OneShotServer.create(PongChannel);
    const [, { pong, rest }] = await Promise.all([mock.sendTo(name), firstPong(server)]);
    rest.close();
    await server.close();
    assert.equal(pong.seq, 42n);
  });

console.log(`[consumer] contract written: ${join(dir, "invoice-app-calculator.json")}`);
