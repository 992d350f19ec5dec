// Worker-pool example: a host runs Calculator workers, spreads calls over
// them, survives a worker being killed, and shuts down cleanly.
//
//   node --conditions=source --import tsx examples/worker-pool/host.ts
import { fileURLToPath } from "node:url";
import { WorkerSet } from "protochan";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";
import "../../generated/example/v1/calculator_chan.js";

const log = (...args: unknown[]) => console.log("[host]", ...args);

const set = WorkerSet.start({
  service: CalculatorService,
  entry: fileURLToPath(new URL("worker.ts", import.meta.url)),
  count: 3,
});
set.on("spawn", ({ id, pid }) => log(`worker ${id} started (pid ${pid})`));
set.on("exit", ({ id, code, signal, expected }) => log(`worker ${id} exited (${signal ?? code})${expected ? "" : ": replacing it"}`));
await set.ready({ timeoutMs: 30_000 });

// 300 calls at once: each goes to an idle worker, the rest wait in the queue.
const results = await Promise.all(Array.from({ length: 300 }, (_, i) => set.client.add({ a: BigInt(i), b: 1n })));
const byWorker = new Map<number, number>();
for (const r of results) byWorker.set(r.workerPid, (byWorker.get(r.workerPid) ?? 0) + 1);
log(`300 calls answered; calls per worker pid: ${JSON.stringify(Object.fromEntries(byWorker))}`);

// Streaming calls.
let counted = 0;
for await (const r of set.client.count({ count: 5 })) counted = r.n;
async function* numbers() {
  for (let i = 1n; i <= 100n; i++) yield { a: i, b: 0n };
}
log(`count streamed up to ${counted}; sum of 1..100 = ${(await set.client.sum(numbers())).sum}`);

// A worker dies mid-call: idempotent calls are retried on another worker.
// Three idle workers take one call each at once, so the victim holds one.
const calls = ["a", "b", "c"].map((tag) => set.client.workIdempotent({ millis: 500, tag }));
const victim = set.pids[0]!;
process.kill(victim, "SIGKILL");
const answers = await Promise.all(calls);
log(`worker pid ${victim} was killed mid-call; all three calls answered, by pids ${answers.map((a) => a.workerPid).join(", ")}`);
await set.ready({ timeoutMs: 30_000 });
log(`pool back to ${set.size} workers`);

// One-way: the host does not wait; the worker's output is forwarded with its prefix.
await set.client.log({ line: "hello from a one-way call" });
await set.close();
log("closed: every worker finished its calls and exited");
