// Issue #3: handle fields declared in the schema are typed Sender<T> / Receiver<T>.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { Project } from "ts-morph";
import { channel, connect } from "protochan";
import { AnswerChannel, QuestionChannel, SubscriptionChannel } from "../../generated/example/v1/requests_chan.js";
import { AnswerSchema, QuestionSchema, SubscriptionSchema } from "../../generated/example/v1/requests_pb.js";
import { Child } from "../helpers/child.js";

test("typed reply pattern: Question.reply is a Sender<Answer> that works in another process", { timeout: 30_000 }, async () => {
  const child = new Child("typed-handles.ts", { MODE: "questions" });
  const tx = await connect(QuestionChannel, (await child.next("listening")).name as string);
  for (const text of ["one", "two"]) {
    const [reply, answers] = channel(AnswerChannel);
    tx.send({ ...create(QuestionSchema, { text }), reply });
    reply.close();
    const a = await answers.recv({ timeoutMs: 5_000 });
    assert.equal(a.$typeName, "example.v1.Answer");
    assert.equal(a.text, text.toUpperCase());
    assert.equal(a.answeredBy, child.proc.pid);
  }
  tx.close();
  await child.succeeded();
});

test("Subscription moves a Receiver<Answer> and carries repeated Sender<Answer> peers", { timeout: 30_000 }, async () => {
  const child = new Child("typed-handles.ts", { MODE: "subscription" });
  const tx = await connect(SubscriptionChannel, (await child.next("listening")).name as string);
  const [feed, answers] = channel(AnswerChannel);
  const peers = [channel(AnswerChannel), channel(AnswerChannel)];
  feed.send(create(AnswerSchema, { text: "a" }));
  tx.send({ ...create(SubscriptionSchema, { topic: "t" }), answers, peers: peers.map(([s]) => s) });
  feed.send(create(AnswerSchema, { text: "b" }));
  feed.close();
  for (const [s, r] of peers) {
    s.close();
    assert.equal((await r.recv({ timeoutMs: 5_000 })).text, "t: a,b");
  }
  assert.deepEqual((await child.next("done")).texts, ["a", "b"]);
  tx.close();
  await child.succeeded();
});

test("the generated API types handle fields as channel ends (checked with ts-morph)", { timeout: 60_000 }, () => {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const project = new Project({ tsConfigFilePath: `${root}tsconfig.json`, skipAddingFilesFromTsConfig: true });
  const file = project.addSourceFileAtPath(`${root}generated/example/v1/requests_chan.ts`);
  project.resolveSourceFileDependencies();
  const props = (alias: string) =>
    Object.fromEntries(
      file
        .getTypeAliasOrThrow(alias)
        .getType()
        .getProperties()
        .map((p) => [p.getName(), p.getTypeAtLocation(file).getText(file)]),
    );
  const q = props("QuestionWithHandles");
  assert.equal(q.reply, "Sender<Answer> | undefined");
  assert.equal(q.text, "string");
  const s = props("SubscriptionWithHandles");
  assert.equal(s.answers, "Receiver<Answer> | undefined");
  assert.equal(s.peers, "Sender<Answer>[]");
  assert.match(file.getVariableDeclarationOrThrow("QuestionChannel").getType().getText(file), /ChannelType<QuestionWithHandles>/);
});
