// Child: a client of a Calculator server (PROTOCHAN_NAME) making CALLS calls
// whose answers only this client can predict, then reporting.
import { connectService } from "protochan";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";
import "../../generated/example/v1/calculator_chan.js";
import { report } from "../helpers/child.js";

const { client, close } = await connectService(CalculatorService, process.env.PROTOCHAN_NAME!);
const base = BigInt(process.pid) * 1_000_000n;
const calls = Number(process.env.CALLS);
const results = await Promise.all(Array.from({ length: calls }, (_, i) => client.add({ a: base, b: BigInt(i) })));
const wrong = results.filter((r, i) => r.sum !== base + BigInt(i)).length;
report("done", { calls: results.length, wrong });
close();
