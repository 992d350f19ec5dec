// The provider of the contract tests: a Calculator worker (started by
// verify() through a WorkerSet), or, when verify() starts it for a message
// interaction, a producer that sends that message on PROTOCHAN_NAME.
import { create } from "@bufbuild/protobuf";
import { channel, connect, runWorker } from "protochan";
import { CONTRACT_ENV } from "protochan/contract";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";
import type { CalculatorServiceHandler } from "../../generated/example/v1/calculator_rpc.js";
import "../../generated/example/v1/calculator_chan.js";
import { PongChannel } from "../../generated/example/v1/example_chan.js";
import { PongSchema } from "../../generated/example/v1/example_pb.js";
import { AnswerChannel, QuestionChannel } from "../../generated/example/v1/requests_chan.js";
import { QuestionSchema } from "../../generated/example/v1/requests_pb.js";

const calculator: Partial<CalculatorServiceHandler> = {
  add: (req) => ({ sum: req.a + req.b, workerPid: process.pid }),
  async *count(req) {
    for (let n = 1; n <= req.count; n++) yield { n };
  },
};

const message = process.env[CONTRACT_ENV.message];
const name = process.env[CONTRACT_ENV.name]!;
if (message === undefined) {
  await runWorker(CalculatorService, calculator as CalculatorServiceHandler);
} else if (message === "a question with a reply channel") {
  const [reply, answers] = channel(AnswerChannel);
  const tx = await connect(QuestionChannel, name);
  // WITHOUT_REPLY: a provider that stopped sending the reply channel.
  tx.send({ ...create(QuestionSchema, { text: "how are you?" }), reply: process.env.WITHOUT_REPLY === undefined ? reply : undefined });
  tx.close();
  answers.close();
} else if (process.env.EXIT_BEFORE_SENDING !== undefined) {
  process.exit(3);
} else {
  const states = JSON.parse(process.env[CONTRACT_ENV.states] ?? "[]") as { name: string; params?: { seq?: number | string } }[];
  const seq = BigInt(states.find((s) => s.name === "a pong is due")?.params?.seq ?? 0) + BigInt(process.env.PONG_SEQ_OFFSET ?? 0);
  const tx = await connect(PongChannel, name);
  tx.send(create(PongSchema, { seq, text: "pong", childPid: process.pid }));
  tx.close();
}
