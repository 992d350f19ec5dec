// A Calculator worker that first writes 1 GiB to stdout without a newline,
// then "after" on a line of its own, then serves.
import { runWorker } from "protochan";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";
import "../../generated/example/v1/calculator_chan.js";

const chunk = Buffer.alloc(1 << 20, "x");
for (let i = 0; i < 1024; i++) {
  if (!process.stdout.write(chunk)) await new Promise((resolve) => process.stdout.once("drain", resolve));
}
process.stdout.write("\nafter\n");
await runWorker(CalculatorService, { add: (req) => ({ sum: req.a + req.b, workerPid: process.pid }) });
