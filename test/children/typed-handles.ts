// Child: answers typed Questions on the sender each one carries; for a
// Subscription, reads the receiver it carries and answers on every peer sender;
// for an Exchange, uses whichever end its `answers` oneof holds.
import { create } from "@bufbuild/protobuf";
import { OneShotServer } from "protochan";
import {
  ExchangeChannel,
  QuestionChannel,
  SubscriptionChannel,
  type ExchangeWithHandles,
} from "../../generated/example/v1/requests_chan.js";
import { AnswerSchema } from "../../generated/example/v1/requests_pb.js";
import { report } from "../helpers/child.js";

const answer = (text: string) => create(AnswerSchema, { text, answeredBy: process.pid });

if (process.env.MODE === "questions") {
  const { server, name } = await OneShotServer.create(QuestionChannel);
  report("listening", { name });
  const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
  for (let q = first; ; ) {
    q.reply?.send(answer(q.text.toUpperCase()));
    q.reply?.close();
    try {
      q = await receiver.recv();
    } catch {
      break;
    }
  }
} else if (process.env.MODE === "exchange") {
  const { server, name } = await OneShotServer.create(ExchangeChannel);
  report("listening", { name });
  const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
  const next = () => receiver.recv().catch(() => undefined);
  for (let x: ExchangeWithHandles | undefined = first; x !== undefined; x = await next()) {
    const { answers } = x;
    if (answers.case === "reply") {
      answers.value.send(answer(x.topic.toUpperCase()));
      answers.value.close();
    } else if (answers.case === "inbox") {
      const texts: string[] = [];
      for await (const a of answers.value) texts.push(a.text);
      report("inbox", { topic: x.topic, texts });
    } else {
      report("other", { topic: x.topic, case: answers.case ?? null, value: answers.value ?? null });
    }
  }
} else {
  const { server, name } = await OneShotServer.create(SubscriptionChannel);
  report("listening", { name });
  const { first: sub } = await server.accept({ timeoutMs: 20_000 });
  const texts: string[] = [];
  for await (const a of sub.answers!) texts.push(a.text);
  for (const peer of sub.peers) {
    peer.send(answer(`${sub.topic}: ${texts.join(",")}`));
    peer.close();
  }
  report("done", { texts });
}
