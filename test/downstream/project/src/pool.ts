// A WorkerSet of 2 answers both methods of the Shop service.
import { fileURLToPath } from "node:url";
import { WorkerSet } from "protochan";
import { Shop } from "./gen/shop/v1/shop_pb.js";

const pool = WorkerSet.start({ service: Shop, entry: fileURLToPath(new URL("worker.js", import.meta.url)), count: 2 });
await pool.ready({ timeoutMs: 20_000 });
const quotes = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.client.getQuote({ item: "widget", quantity: i + 1 })));
const pids = new Set(quotes.map((q) => q.workerPid));
const steps: number[] = [];
for await (const step of pool.client.track({ item: "widget", quantity: 4 })) steps.push(step.n);
await pool.close();
console.log(`pool: quote for 20 = ${quotes[19]?.cents} cents; answered by ${pids.size} workers; track steps ${steps.join(",")}`);
