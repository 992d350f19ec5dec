// Issue #3: a request carries a sender; the other process answers on it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AnyChannel, channel, connect, DisconnectedError } from "protochan";
import { Child } from "../helpers/child.js";

test("reply pattern: A sends B a request carrying a sender; B answers on it", { timeout: 30_000 }, async () => {
  const child = new Child("handles.ts", { MODE: "reply" });
  const { name } = await child.next("listening");
  const tx = await connect(AnyChannel, name as string);
  for (let i = 0; i < 3; i++) {
    const [replyTx, replyRx] = channel();
    tx.send({ question: `q${i}`, reply: replyTx });
    replyTx.close(); // the clone in B keeps the channel open
    assert.equal(await replyRx.recv({ timeoutMs: 5_000 }), `answer to q${i}`);
    // B closed its clone after answering: now every sender is gone.
    await assert.rejects(replyRx.recv({ timeoutMs: 5_000 }), DisconnectedError);
  }
  tx.close();
  await child.succeeded();
});

test("a sender passed on: A's reply sender goes to B, B passes it to C, C answers A", { timeout: 30_000 }, async () => {
  const b = new Child("handles.ts", { MODE: "pass-on" });
  const c = new Child("handles.ts", { MODE: "reply" });
  const [bName, cName] = [(await b.next("listening")).name as string, (await c.next("listening")).name as string];
  const toB = await connect(AnyChannel, bName);
  const [reply, answers] = channel();
  toB.send({ reply, to: cName });
  reply.close();
  assert.equal(await answers.recv({ timeoutMs: 10_000 }), "answer to from B");
  // C closed the last sender after answering: the channel disconnects (nothing is left waiting).
  await assert.rejects(answers.recv({ timeoutMs: 10_000 }), DisconnectedError);
  await b.next("passed");
  toB.close();
  await b.succeeded();
  await c.succeeded();
});
