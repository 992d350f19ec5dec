// W6: unary calls through a WorkerSet of 2 (Calculator.Add, the workers of
// examples/worker-pool), two callers each keeping one call in flight, against
// raw net ping-pong over two connections to two echo processes in the same run.
import { fileURLToPath } from "node:url";
import type { Socket } from "node:net";
import { WorkerSet } from "protochan";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";
import "../../generated/example/v1/calculator_chan.js";
import { median, now, requireEnv, seconds, spawnPeer, type Row, type RunOptions, type Workload } from "../harness.js";
import { dialRaw, FrameQueue, FrameReader, frame, listenRaw } from "../raw-net.js";

const CALLS = 20_000;
const WARMUP = 2_000;
const LANES = 2;
const workerEntry = fileURLToPath(new URL("../../examples/worker-pool/worker.ts", import.meta.url));

async function protochanRate(calls: number): Promise<number> {
  const set = WorkerSet.start({ service: CalculatorService, entry: workerEntry, count: LANES, output: "capture" });
  try {
    await set.ready({ timeoutMs: 30_000 });
    const lane = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const r = await set.client.add({ a: BigInt(i), b: 1n });
        if (r.sum !== BigInt(i) + 1n) throw new Error("W6: wrong sum");
      }
    };
    await Promise.all(Array.from({ length: LANES }, () => lane(WARMUP / LANES)));
    const t0 = now();
    await Promise.all(Array.from({ length: LANES }, () => lane(calls / LANES)));
    return calls / seconds(t0, now());
  } finally {
    await set.close();
  }
}

async function rawRate(calls: number): Promise<number> {
  const servers = await Promise.all(Array.from({ length: LANES }, () => listenRaw()));
  const peers = servers.map((s) => spawnPeer("w6", "echo", { BENCH_PATH: s.path }));
  try {
    const sockets: Socket[] = await Promise.all(servers.map((s, i) => peers[i]!.guard(s.accept())));
    const body = new Uint8Array(64).fill(1);
    const lane = async (socket: Socket, frames: FrameQueue, n: number) => {
      for (let i = 0; i < n; i++) {
        socket.write(frame(body));
        await frames.next();
      }
    };
    const queues = sockets.map((s) => new FrameQueue(s));
    await Promise.all(sockets.map((s, i) => lane(s, queues[i]!, WARMUP / LANES)));
    const t0 = now();
    await Promise.all(sockets.map((s, i) => lane(s, queues[i]!, calls / LANES)));
    const rate = calls / seconds(t0, now());
    for (const s of sockets) s.end();
    await Promise.all(peers.map((p) => p.done()));
    return rate;
  } finally {
    for (const p of peers) p.kill();
    for (const s of servers) s.close();
  }
}

export const w6: Workload = {
  id: "w6",
  title: `W6: unary calls through a WorkerSet of ${LANES}, ${CALLS.toLocaleString("en")} calls after ${WARMUP.toLocaleString("en")} warm-up`,

  async run(options: RunOptions): Promise<Row[]> {
    const calls = Math.max(LANES * 100, Math.round(CALLS * options.scale));
    const p: number[] = [];
    const r: number[] = [];
    for (let i = 0; i < options.repeat; i++) {
      p.push(await protochanRate(calls));
      r.push(await rawRate(calls));
      options.log(`  W6 run ${i + 1}: protochan ${p[i]!.toFixed(0)} calls/s, raw ping-pong ${r[i]!.toFixed(0)} round trips/s`);
    }
    return [
      {
        label: `W6 unary calls/s, WorkerSet of ${LANES}`,
        unit: "calls/s",
        better: "higher",
        protochan: median(p),
        raw: median(r),
        rawLabel: `raw net ping-pong, ${LANES} connections`,
        samples: { protochan: p, raw: r },
      },
    ];
  },

  async peer(mode: string): Promise<void> {
    if (mode !== "echo") throw new Error(`W6: unknown peer mode ${mode}`);
    const socket = await dialRaw(requireEnv("BENCH_PATH"));
    new FrameReader(socket, (body) => socket.write(frame(body)));
    await new Promise<void>((resolve) => socket.on("end", resolve));
    socket.end();
  },

  notes: () => [
    "W6: each call is Calculator.Add (two int64s in, an int64 and a pid out), sent to an idle worker and awaited; two callers keep one call each in flight. Raw: 64-byte ping-pong, one round trip in flight per connection.",
  ],
};
