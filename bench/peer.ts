// The peer process of every workload. bench/run.ts starts it with
// BENCH_WORKLOAD (which workload) and BENCH_MODE (which side: "protochan",
// "raw", …) and talks to it over Node's IPC channel for control only.
import { requireEnv } from "./harness.js";
import { workloads } from "./workloads/index.js";

const id = requireEnv("BENCH_WORKLOAD");
const workload = workloads.find((w) => w.id === id);
if (workload === undefined) throw new Error(`bench peer: unknown workload ${id}`);
await workload.peer(requireEnv("BENCH_MODE"));
// Let the process end on its own once the sockets have written everything
// (process.exit() could cut off data still queued in them).
process.disconnect?.();
