// The benchmark workloads, in the order they run. To add one (W4 packets,
// RPC, …): write bench/workloads/<id>-<name>.ts exporting a Workload (its
// bench-process side in run(), its peer side in peer(mode)) and list it here;
// bench/run.ts and bench/peer.ts pick it up.
import type { Workload } from "../harness.js";
import { w1 } from "./w1-ping-pong.js";
import { w2 } from "./w2-telemetry.js";
import { w3 } from "./w3-bulk-bytes.js";
import { w4 } from "./w4-packets.js";
import { w5 } from "./w5-packet-stream.js";
import { w6 } from "./w6-worker-calls.js";
import { w7 } from "./w7-grpc-calls.js";

export const workloads: readonly Workload[] = [w1, w2, w3, w4, w5, w6, w7];
