// The provider of the contracts example: a Calculator worker, and a producer
// of Pong messages. It is the real program, unchanged for verification:
// verify() starts it with runWorker()'s environment to serve calls, and with
// CONTRACT_ENV set (one run per message interaction) to send a message.
import { create } from "@bufbuild/protobuf";
import { connect, runWorker } from "protochan";
import { CONTRACT_ENV } from "protochan/contract";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";
import type { CalculatorServiceHandler } from "../../generated/example/v1/calculator_rpc.js";
import "../../generated/example/v1/calculator_chan.js";
import { PongChannel } from "../../generated/example/v1/example_chan.js";
import { PongSchema } from "../../generated/example/v1/example_pb.js";

const calculator: Partial<CalculatorServiceHandler> = {
  add: (req) => ({ sum: req.a + req.b, workerPid: process.pid }),
  async *count(req) {
    for (let n = 1; n <= req.count; n++) yield { n };
  },
};

const message = process.env[CONTRACT_ENV.message];
if (message === undefined) {
  await runWorker(CalculatorService, calculator as CalculatorServiceHandler);
} else {
  // The provider state says which ping this pong answers.
  const states = JSON.parse(process.env[CONTRACT_ENV.states]!) as { name: string; params?: { seq?: number } }[];
  const seq = states.find((s) => s.name === "a ping was sent")?.params?.seq ?? 0;
  const tx = await connect(PongChannel, process.env[CONTRACT_ENV.name]!);
  tx.send(create(PongSchema, { seq: BigInt(seq), text: "pong", childPid: process.pid }));
  tx.close();
}
