// Child: a client of a Calculator server (PROTOCHAN_NAME) making CALLS calls
// whose answers only this client can predict, then reporting. MODE:
//   (unset)   all calls at once
//   halfway   half the calls, report "halfway", wait for "go", then the rest
//   garbage   half the calls, report "halfway", wait for "go", then write
//             garbage on its own connection amid calls, and report how they ended
//   busy      half the calls, report "halfway", wait for "go", then call until killed
import { connectService } from "protochan";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";
import "../../generated/example/v1/calculator_chan.js";
import { defaultRouter } from "../../src/routing/process-router.js";
import type { Connection } from "../../src/connection/connection.js";
import { instruction, report } from "../helpers/child.js";

const { client, close } = await connectService(CalculatorService, process.env.PROTOCHAN_NAME!);
const base = BigInt(process.pid) * 1_000_000n;
const calls = Number(process.env.CALLS);
const mode = process.env.MODE;
const run = (from: number, to: number) =>
  Promise.all(Array.from({ length: to - from }, (_, i) => client.add({ a: base, b: BigInt(from + i) })));

const results = mode === undefined ? [] : await run(0, calls / 2);
if (mode !== undefined) {
  report("halfway");
  while ((await instruction()) !== "go");
}
if (mode === "garbage") {
  // Garbage between frames while calls are in flight.
  const inFlight = run(0, calls);
  const garbage = new Uint8Array(4096).map((_, i) => (i * 131 + 17) & 0xff);
  for (const link of defaultRouter().links.values()) (link as Connection).socket.write(garbage);
  const outcomes = await Promise.allSettled([inFlight, client.add({ a: 1n, b: 1n }, { timeoutMs: 10_000 })]);
  const failed = outcomes.find((o) => o.status === "rejected");
  report("cut", { code: failed === undefined ? "none" : (failed.reason as { code?: string }).code });
  process.exit(0);
}
if (mode === "busy") {
  // Calls until killed.
  for (;;) await run(0, calls);
}
results.push(...(await run(results.length, calls)));
const wrong = results.filter((r, i) => r.sum !== base + BigInt(i)).length;
report("done", { calls: results.length, wrong });
close();
if (mode !== undefined) process.exit(0); // stdin, still open for instructions, would keep it alive
