// Contracts as Pact files: a consumer test records calls and messages against
// a mock provider speaking the protochan wire, Pact writes the V4 file, and
// Pact's own verifier accepts it against the real provider process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MatchersV3 } from "@pact-foundation/pact";
import { OneShotServer, connectService } from "../../src/index.js";
import { Contract, verify } from "../../src/contract.js";
import { recordAdd, verifyFails } from "./fixtures.js";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";
import "../../generated/example/v1/calculator_chan.js";
import { PongChannel } from "../../generated/example/v1/example_chan.js";
import { PongSchema } from "../../generated/example/v1/example_pb.js";
import { QuestionChannel } from "../../generated/example/v1/requests_chan.js";
import { QuestionSchema } from "../../generated/example/v1/requests_pb.js";

const { like, eachLike, integer, regex } = MatchersV3;
const provider = fileURLToPath(new URL("../children/contract-provider.ts", import.meta.url));

interface PactJson {
  readonly metadata: { readonly pactSpecification: { readonly version: string } };
  readonly interactions: readonly {
    readonly type: string;
    readonly description: string;
    readonly comments?: { readonly protochan?: { readonly method?: string; readonly type?: string; readonly schemaDigest: string } };
    readonly metadata?: Record<string, string>;
    readonly contents?: { readonly content: Record<string, unknown> };
    readonly response?: readonly { readonly contents: { readonly content: unknown } }[];
  }[];
}

/** Records the example contract between calc-consumer and calculator into `dir`. */
async function recordConsumerContract(dir: string): Promise<void> {
  const contract = Contract.create({ consumer: "calc-consumer", provider: "calculator", dir, logLevel: "error" });
  await recordAdd(contract);
  await contract
    .call(CalculatorService.method.count, {
      description: "counts to three",
      request: { count: 3 },
      response: eachLike({ n: integer(1) }, 3),
    })
    .run(async (mock) => {
      const { client, close } = await connectService(CalculatorService, mock.name);
      const got: number[] = [];
      for await (const r of client.count({ count: 3 }, { timeoutMs: 10_000 })) got.push(r.n);
      close();
      assert.deepEqual(got, [1, 1, 1]);
    });
  await contract
    .message(PongSchema, {
      description: "a pong",
      given: { name: "a pong is due", params: { seq: 7 } },
      contents: { seq: like("7"), text: regex(/^p.+/, "pong"), childPid: integer(99) },
    })
    .run(async (mock) => {
      // The consumer receives on a server of its own; the mock connects and sends.
      const { server, name } = await OneShotServer.create(PongChannel);
      const [, { first }] = await Promise.all([mock.sendTo(name), server.accept({ timeoutMs: 10_000 })]);
      await server.close();
      assert.equal(first.seq, 7n);
      assert.equal(first.text, "pong");
    });
  await recordQuestion(contract);
}

/** Records a message with a handle field: the consumer answers on the Sender<Answer> it receives. */
async function recordQuestion(contract: Contract): Promise<void> {
  await contract
    .message(QuestionSchema, {
      description: "a question with a reply channel",
      contents: { text: like("how?"), reply: "Sender<example.v1.Answer>" },
    })
    .run(async (mock) => {
      const { server, name } = await OneShotServer.create(QuestionChannel);
      const [, { first }] = await Promise.all([mock.sendTo(name), server.accept({ timeoutMs: 10_000 })]);
      await server.close();
      assert.ok(first.reply !== undefined, "the placeholder arrives as a live Sender<Answer>");
      first.reply.close();
    });
}

test("a consumer test writes a Pact V4 file; Pact's verifier accepts it against the real provider process", {
  timeout: 90_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "contract-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await recordConsumerContract(dir);

  const pact = JSON.parse(readFileSync(join(dir, "calc-consumer-calculator.json"), "utf8")) as PactJson;
  assert.equal(pact.metadata.pactSpecification.version, "4.0");
  const byName = new Map(pact.interactions.map((i) => [i.description, i]));
  const add = byName.get("adds two numbers")!;
  assert.equal(add.type, "Synchronous/Messages");
  assert.equal(add.comments?.protochan?.method, "example.v1.CalculatorService.Add");
  assert.match(add.comments?.protochan?.schemaDigest ?? "", /^[0-9a-f]{64}$/);
  assert.deepEqual(byName.get("counts to three")!.response?.[0]?.contents.content, [{ n: 1 }, { n: 1 }, { n: 1 }]);
  const pong = byName.get("a pong")!;
  assert.equal(pong.type, "Asynchronous/Messages");
  assert.equal(pong.metadata?.["protochan.type"], "example.v1.Pong");
  assert.equal(pong.comments?.protochan?.type, "example.v1.Pong");
  assert.match(pong.comments?.protochan?.schemaDigest ?? "", /^[0-9a-f]{64}$/);
  assert.equal(byName.get("a question with a reply channel")!.contents?.content.reply, "Sender<example.v1.Answer>");

  const report = await verify({
    provider: "calculator",
    pactUrls: [dir],
    entry: provider,
    service: CalculatorService,
    messages: [PongSchema, QuestionSchema],
    logLevel: "error",
  });
  assert.deepEqual([...report.verified].sort(), ["a pong", "a question with a reply channel", "adds two numbers", "counts to three"]);
  assert.deepEqual(report.schemaChanges, []);
});

test("a handle field is verified as its typed placeholder: a provider that drops it fails on that field", {
  timeout: 60_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "contract-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await recordQuestion(Contract.create({ consumer: "asker", provider: "answerer", dir, logLevel: "error" }));
  const options = { provider: "answerer", pactUrls: [dir], entry: provider, messages: [QuestionSchema], logLevel: "error" } as const;
  assert.deepEqual((await verify(options)).verified, ["a question with a reply channel"]);
  const failed = await verifyFails({ ...options, env: { WITHOUT_REPLY: "1" } });
  assert.equal(failed.mismatches.length, 1, failed.message);
  assert.equal(failed.mismatches[0]!.interaction, "a question with a reply channel");
  assert.match(failed.mismatches[0]!.message, /missing the following keys: reply/);
});
