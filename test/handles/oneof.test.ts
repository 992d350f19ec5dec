// Handle fields inside a oneof (example.v1.Exchange.answers): typed as the
// oneof's case union with channel ends as values, carried in the handle table.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { Project, ts } from "ts-morph";
import { channel, connect, DisconnectedError, EncodeError, OneShotServer, Receiver, Sender } from "protochan";
import { AnswerChannel, ExchangeChannel, QuestionChannel } from "../../generated/example/v1/requests_chan.js";
import { AnswerSchema, ExchangeSchema, QuestionSchema } from "../../generated/example/v1/requests_pb.js";
import { SenderHandleSchema } from "../../generated/protochan/v1/handles_pb.js";
import { Child } from "../helpers/child.js";

const T = { timeout: 30_000 };
const answer = (text: string) => create(AnswerSchema, { text });

test("ExchangeWithHandles types the oneof's handle arms as channel ends (checked with ts-morph)", { timeout: 60_000 }, () => {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const project = new Project({ tsConfigFilePath: `${root}tsconfig.json`, skipAddingFilesFromTsConfig: true });
  // Compiled, never run. Every @ts-expect-error must be needed (TS2578 otherwise).
  const use = project.createSourceFile(
    `${root}test/handles/oneof-types.check.ts`,
    `
    import { create } from "@bufbuild/protobuf";
    import { channel, type Receiver, type Sender } from "protochan";
    import { AnswerChannel, ExchangeChannel, QuestionChannel, type ExchangeWithHandles } from "../../generated/example/v1/requests_chan.js";
    import { ExchangeSchema, type Answer } from "../../generated/example/v1/requests_pb.js";
    import { SenderHandleSchema } from "../../generated/protochan/v1/handles_pb.js";

    const [tx] = channel(ExchangeChannel);
    const [replyTx, replyRx] = channel(AnswerChannel);
    const base = create(ExchangeSchema, { topic: "t" });
    tx.send({ ...base, answers: { case: "reply", value: replyTx } });
    tx.send({ ...base, answers: { case: "inbox", value: replyRx } });
    tx.send({ ...base, answers: { case: "given", value: "42" } });
    tx.send({ ...base, answers: { case: undefined } });
    // @ts-expect-error a receiver in the sender arm
    tx.send({ ...base, answers: { case: "reply", value: replyRx } });
    // @ts-expect-error a sender in the receiver arm
    tx.send({ ...base, answers: { case: "inbox", value: replyTx } });
    // The message as create() makes it is sendable (its type cannot tell an unset handle arm from a set one:
    // an index message in a handle arm is refused when sending, see "create()'d messages" below).
    tx.send({ ...base, answers: { case: "reply", value: create(SenderHandleSchema, { index: 0 }) } });
    // @ts-expect-error an end of another payload type
    tx.send({ ...base, answers: { case: "reply", value: channel(QuestionChannel)[0] } });
    // @ts-expect-error the plain arm keeps its own type
    tx.send({ ...base, answers: { case: "given", value: 42 } });
    tx.send(base);

    export function ends(m: ExchangeWithHandles): Sender<Answer> | Receiver<Answer> | string | undefined {
      switch (m.answers.case) {
        case "reply": return m.answers.value satisfies Sender<Answer>;
        case "inbox": return m.answers.value satisfies Receiver<Answer>;
        case "given": return m.answers.value satisfies string;
        case undefined: return m.answers.value satisfies undefined;
      }
    }
  `,
  );
  project.resolveSourceFileDependencies();
  const problems = use
    .getPreEmitDiagnostics()
    .map((d) => `line ${d.getLineNumber()}: ${ts.flattenDiagnosticMessageText(d.compilerObject.messageText, " ")}`);
  assert.deepEqual(problems, []);

  const chan = project.addSourceFileAtPath(`${root}generated/example/v1/requests_chan.ts`);
  const answers = chan.getTypeAliasOrThrow("ExchangeWithHandles").getType().getPropertyOrThrow("answers").getTypeAtLocation(chan);
  const arms = answers
    .getUnionTypes()
    .map((u) => ["case", "value"].map((p) => u.getPropertyOrThrow(p).getTypeAtLocation(chan).getText(chan)).join(": "));
  assert.deepEqual(arms.sort(), ['"given": string', '"inbox": Receiver<Answer>', '"reply": Sender<Answer>', "undefined: undefined"]);
});

test("in one process: the sender arm arrives as a clone, the receiver arm moves, the other arms as they were", T, async () => {
  const [tx, rx] = channel(ExchangeChannel);
  const [replyTx, replyRx] = channel(AnswerChannel);
  const sent = { ...create(ExchangeSchema, { topic: "r" }), answers: { case: "reply", value: replyTx } } as const;
  tx.send(sent);
  assert.equal(sent.answers.value, replyTx, "the caller's message is left as it was");
  const r = (await rx.recv({ timeoutMs: 5_000 })).answers;
  if (r.case !== "reply") assert.fail(`case ${r.case}`);
  assert.ok(r.value instanceof Sender && r.value !== replyTx);
  r.value.send(answer("on the clone"));
  r.value.close();
  replyTx.send(answer("on the original"));
  replyTx.close();
  assert.deepEqual([(await replyRx.recv()).text, (await replyRx.recv()).text], ["on the clone", "on the original"]);

  const [feedTx, feedRx] = channel(AnswerChannel);
  feedTx.send(answer("x"));
  tx.send({ ...create(ExchangeSchema, { topic: "i" }), answers: { case: "inbox", value: feedRx } });
  assert.throws(() => feedRx.tryRecv(), { code: "ENDPOINT_MOVED" });
  const i = (await rx.recv({ timeoutMs: 5_000 })).answers;
  if (i.case !== "inbox") assert.fail(`case ${i.case}`);
  assert.ok(i.value instanceof Receiver && i.value !== feedRx);
  feedTx.send(answer("y"));
  feedTx.close();
  const texts: string[] = [];
  for await (const a of i.value) texts.push(a.text);
  assert.deepEqual(texts, ["x", "y"]);

  tx.send({ ...create(ExchangeSchema, { topic: "g" }), answers: { case: "given", value: "42" } });
  tx.send({ ...create(ExchangeSchema, { topic: "n" }), answers: { case: undefined } });
  assert.deepEqual((await rx.recv()).answers, { case: "given", value: "42" });
  assert.deepEqual((await rx.recv()).answers, { case: undefined });
  tx.close();
});

test("across processes: the child answers on the sender arm and reads the moved receiver arm", T, async (t) => {
  const child = new Child("typed-handles.ts", { MODE: "exchange" });
  t.after(() => child.kill());
  const tx = await connect(ExchangeChannel, (await child.next("listening")).name as string);

  const [replyTx, replyRx] = channel(AnswerChannel);
  tx.send({ ...create(ExchangeSchema, { topic: "ping" }), answers: { case: "reply", value: replyTx } });
  replyTx.close();
  const a = await replyRx.recv({ timeoutMs: 5_000 });
  assert.equal(a.text, "PING");
  assert.equal(a.answeredBy, child.proc.pid);
  await assert.rejects(replyRx.recv({ timeoutMs: 5_000 }), DisconnectedError);

  const [feedTx, feedRx] = channel(AnswerChannel);
  const late = feedTx.clone();
  feedTx.send(answer("queued before the move"));
  tx.send({ ...create(ExchangeSchema, { topic: "feed" }), answers: { case: "inbox", value: feedRx } });
  await assert.rejects(feedRx.recv(), { code: "ENDPOINT_MOVED" });
  feedTx.send(answer("sent after the move"));
  feedTx.close();
  late.send(answer("from a clone"));
  late.close();
  assert.deepEqual(await child.next("inbox"), {
    event: "inbox",
    topic: "feed",
    texts: ["queued before the move", "sent after the move", "from a clone"],
  });

  tx.send({ ...create(ExchangeSchema, { topic: "g" }), answers: { case: "given", value: "42" } });
  assert.deepEqual(await child.next("other"), { event: "other", topic: "g", case: "given", value: "42" });
  tx.close();
  await child.succeeded();
});

for (const [mode, message] of [
  ["oneof-out-of-range", /handle index 3 out of range \(the frame has 1\)/],
  ["oneof-wrong-type", /handle 0 carries protochan\.any, the schema says example\.v1\.Answer/],
  ["oneof-wrong-kind", /handle 0 is not a receiver/],
] as const) {
  test(`a peer whose oneof arm is ${mode.slice("oneof-".length)} loses its connection with a ProtocolError`, T, async () => {
    const { server, name } = await OneShotServer.create(ExchangeChannel);
    const peer = new Child("raw-peer.ts", { PROTOCHAN_NAME: name, MODE: mode });
    try {
      const err = await server.accept({ timeoutMs: 20_000 }).catch((e: unknown) => e);
      assert.ok(err instanceof DisconnectedError, `accept should fail, got ${String(err)}`);
      assert.equal(err.reason, "protocol-error");
      assert.equal((err.cause as Error & { code?: string }).code, "PROTOCOL_ERROR");
      assert.match(String((err.cause as Error).message), message);
      assert.match(String((await peer.next("closed")).reason), message);
      await peer.succeeded();
    } finally {
      peer.kill(); // a peer that was accepted would otherwise hold its connection open
    }
  });
}

test("create()'d messages: sent as they are with handle fields unset; an index message in a handle field is refused", T, () => {
  const [tx, rx] = channel(ExchangeChannel);
  const [qtx, qrx] = channel(QuestionChannel);
  try {
    // With no channel end in them, protoc-gen-es's own types are sendable without casts.
    assert.equal(tx.send(create(ExchangeSchema, { topic: "plain" })), true);
    assert.equal(qtx.send(create(QuestionSchema, { text: "plain" })), true);
    assert.equal(rx.tryRecv()?.topic, "plain");
    assert.equal(qrx.tryRecv()?.reply, undefined);
    // A handle message names no end: refused when sending, with a ProtochanError naming the field.
    const wire = create(ExchangeSchema, { topic: "t", answers: { case: "reply", value: create(SenderHandleSchema, { index: 0 }) } });
    assert.throws(
      () => tx.send(wire),
      (err: unknown) => err instanceof EncodeError && /field reply must hold a Sender/.test(err.message),
    );
    assert.throws(() => qtx.send(create(QuestionSchema, { text: "t", reply: { index: 1 } })), EncodeError);
    assert.equal(rx.tryRecv(), undefined);
  } finally {
    for (const end of [tx, rx, qtx, qrx]) end.close();
  }
});
