// A contract written with pact-js's own message API (no protochan on the
// consumer side: a team's existing Pact tests), for messages on a protochan
// channel, is verified by protochan/contract against the real provider.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { MatchersV3, MessageConsumerPact, PactV4, synchronousBodyHandler } from "@pact-foundation/pact";
import { verify } from "../../src/contract.js";
import { verifyFails } from "./fixtures.js";
import { PongSchema } from "../../generated/example/v1/example_pb.js";

process.env.PACT_DO_NOT_TRACK = "true";
const { like, integer } = MatchersV3;
const provider = fileURLToPath(new URL("../children/contract-provider.ts", import.meta.url));

test("a Pact file written by pact-js's message API for a protochan channel is verified by protochan/contract", {
  timeout: 60_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "contract-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const seen: bigint[] = [];
  const read = (body: unknown) => void seen.push(fromJson(PongSchema, body as JsonValue).seq);

  // Pact's V3 message API…
  await new MessageConsumerPact({ consumer: "pong-reader-v3", provider: "pong-producer", dir, logLevel: "error" })
    .given({ name: "a pong is due", params: { seq: "7" } })
    .expectsToReceive("a pong")
    .withContent({ seq: like("7"), text: like("pong"), childPid: integer(99) })
    .verify(synchronousBodyHandler(read));
  // …and its V4 asynchronous messages, neither with protochan's metadata.
  await new PactV4({ consumer: "pong-reader-v4", provider: "pong-producer", dir, logLevel: "error" })
    .addAsynchronousInteraction()
    .expectsToReceive("the first pong", (b) => b.withJSONContent({ seq: "0", text: like("pong") }))
    .executeTest(async (m) => read(m.contents.content));
  assert.deepEqual(seen, [7n, 0n]);
  assert.equal(
    JSON.parse(readFileSync(join(dir, "pong-reader-v3-pong-producer.json"), "utf8")).metadata.pactSpecification.version,
    "3.0.0",
  );

  const report = await verify({ provider: "pong-producer", pactUrls: [dir], entry: provider, messages: [PongSchema], logLevel: "error" });
  assert.deepEqual([...report.verified].sort(), ["a pong", "the first pong"]);

  // And it is a real check: the same contract against a provider in another state fails on seq.
  const v4 = {
    provider: "pong-producer",
    pactUrls: [join(dir, "pong-reader-v4-pong-producer.json")],
    entry: provider,
    messages: [PongSchema],
  };
  const failed = await verifyFails({ ...v4, env: { PONG_SEQ_OFFSET: "5" }, logLevel: "error" });
  assert.deepEqual(
    failed.mismatches.map((m) => [m.interaction, m.path, m.expected, m.actual]),
    [["the first pong", "$.seq", '"0"', '"5"']],
  );

  // A provider that dies first fails the interaction, saying so.
  const died = await verifyFails({ ...v4, env: { EXIT_BEFORE_SENDING: "1" }, logLevel: "error" });
  assert.match(died.message, /interaction "the first pong": .*the provider exited \(3\) before sending a example\.v1\.Pong/);
});

test("pacts are fetched from a broker's URL, with its token", { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "contract-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await new PactV4({ consumer: "pong-reader", provider: "pong-producer", dir, logLevel: "error" })
    .addAsynchronousInteraction()
    .given("a pong is due", { seq: 3 })
    .expectsToReceive("a pong", (b) => b.withJSONContent({ seq: "3", text: like("pong") }))
    .executeTest(async (m) => handle(m.contents.content));
  const body = readFileSync(join(dir, "pong-reader-pong-producer.json"));
  // A real HTTP server in the broker's place: it serves the pact to whoever shows the token.
  const auth: string[] = [];
  const broker = createServer((req, res) => {
    auth.push(req.headers.authorization ?? "");
    res.writeHead(req.headers.authorization === "Bearer t0k" ? 200 : 401, { "content-type": "application/json" }).end(body);
  });
  await new Promise<void>((resolve) => broker.listen(0, "127.0.0.1", resolve));
  t.after(() => broker.close());
  const url = `http://127.0.0.1:${(broker.address() as AddressInfo).port}/pacts/provider/pong-producer/consumer/pong-reader/latest`;
  process.env.PACT_BROKER_TOKEN = "t0k";
  t.after(() => delete process.env.PACT_BROKER_TOKEN);
  const report = await verify({ provider: "pong-producer", pactUrls: [url], entry: provider, messages: [PongSchema], logLevel: "error" });
  assert.deepEqual(report.verified, ["a pong"]);
  assert.ok(auth.length >= 2 && auth.every((a) => a === "Bearer t0k"), `requests: ${auth.join(", ")}`);
});

/** A consumer's handler: it reads the protobuf JSON mapping of example.v1.Pong. */
function handle(body: unknown): void {
  fromJson(PongSchema, body as JsonValue);
}
