// Shared pieces of the benchmark harness: the workload interface, spawning the
// peer process (bench/peer.ts) with a control channel, timing and statistics.
//
// Control messages (who listens where, start times, "done") go over Node's IPC
// channel, never over the sockets being measured. Cross-process durations use
// process.hrtime.bigint(), which is CLOCK_MONOTONIC on Linux and so the same
// clock in both processes.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** One line of the results table. */
export interface Row {
  /** Workload id and what was measured, e.g. "W1 64 B ping-pong, median RTT". */
  readonly label: string;
  readonly unit: string;
  /** "lower" for latencies, "higher" for throughputs. */
  readonly better: "lower" | "higher";
  readonly protochan: number;
  readonly raw: number;
  /** What the raw column is when it is not plain raw net. */
  readonly rawLabel?: string;
  /** Target for protochan / raw (e.g. ≤ 1.15) or for protochan alone (e.g. ≥ 2e6). */
  readonly target?: Target;
  /** Every individual measurement, for the details section. */
  readonly samples?: { protochan: number[]; raw: number[] };
}

export type Target =
  | { readonly kind: "ratio"; readonly op: "<=" | ">="; readonly value: number }
  | { readonly kind: "absolute"; readonly op: "<=" | ">="; readonly value: number };

export interface RunOptions {
  /** How many times each throughput measurement is repeated (the median is reported). */
  readonly repeat: number;
  /** Scales message counts down for a quick smoke run (1 = as specified). */
  readonly scale: number;
  readonly log: (line: string) => void;
}

export interface Workload {
  /** Short id used on the command line and by the peer: "w1", "w2", … */
  readonly id: string;
  readonly title: string;
  /** Runs in the bench process; spawns peers with spawnPeer(). */
  run(options: RunOptions): Promise<Row[]>;
  /** Runs in the peer process for `mode` (BENCH_MODE). */
  peer(mode: string): Promise<void>;
  /** Free-form notes for results.md (message sizes, method). */
  notes?(): string[];
}

// ---- the peer process ----

const PEER_ENTRY = fileURLToPath(new URL("peer.ts", import.meta.url));

/** A control message from the peer (plain JSON over the IPC channel). */
export type PeerMessage = Record<string, string | number | boolean>;

export class Peer {
  private readonly inbox: PeerMessage[] = [];
  private waiting: ((m: PeerMessage) => void) | undefined;
  private failed: Error | undefined;
  private readonly failWaiter: ((err: Error) => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(
    readonly child: ChildProcess,
    readonly label: string,
  ) {
    child.on("message", (m) => {
      const msg = m as PeerMessage;
      if (this.waiting !== undefined) {
        const w = this.waiting;
        this.waiting = undefined;
        w(msg);
      } else {
        this.inbox.push(msg);
      }
    });
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        if (code !== 0) this.fail(new Error(`peer ${label} exited with code ${code}${signal ? ` (signal ${signal})` : ""}`));
        resolve(code);
      });
    });
  }

  /** The next control message from the peer. */
  next(timeoutMs = 60_000): Promise<PeerMessage> {
    const queued = this.inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.failed !== undefined) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`peer ${this.label}: no control message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = (m) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.failWaiter.push((err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** Races `work` against the peer dying or `timeoutMs` passing. */
  async guard<T>(work: Promise<T>, timeoutMs = 60_000): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const failure = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`peer ${this.label}: timed out after ${timeoutMs} ms`)), timeoutMs);
      if (this.failed !== undefined) reject(this.failed);
      this.failWaiter.push(reject);
    });
    try {
      return await Promise.race([work, failure]);
    } finally {
      clearTimeout(timer);
    }
  }

  send(msg: PeerMessage): void {
    this.child.send(msg);
  }

  /** Waits for a clean exit (code 0); kills the peer if it takes too long. */
  async done(timeoutMs = 20_000): Promise<void> {
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    if (code !== 0) throw this.failed ?? new Error(`peer ${this.label} exited with code ${code}`);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }

  private fail(err: Error): void {
    this.failed ??= err;
    if (this.waiting !== undefined) this.waiting = undefined;
    for (const reject of this.failWaiter.splice(0)) reject(err);
  }
}

/**
 * Starts bench/peer.ts in `workload`/`mode` with `env` added. Extra node
 * options for the peer (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", which
 * NODE_OPTIONS refuses) come from BENCH_PEER_NODE_ARGS, split on spaces.
 */
export function spawnPeer(workload: string, mode: string, env: Record<string, string> = {}): Peer {
  const extra = (process.env.BENCH_PEER_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
  const child = spawn(process.execPath, [...extra, "--conditions=source", "--import", "tsx", PEER_ENTRY], {
    env: { ...process.env, ...env, BENCH_WORKLOAD: workload, BENCH_MODE: mode },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Peer(child, `${workload}/${mode}`);
}

/** Runs `body` with a fresh peer; the peer is killed if body throws. */
export async function withPeer<T>(
  workload: string,
  mode: string,
  env: Record<string, string>,
  body: (peer: Peer) => Promise<T>,
): Promise<T> {
  const peer = spawnPeer(workload, mode, env);
  try {
    const result = await body(peer);
    await peer.done();
    return result;
  } catch (err) {
    peer.kill();
    throw err;
  }
}

// ---- inside the peer ----

/** Sends a control message to the bench process and waits until it is handed over. */
export function tellParent(msg: PeerMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      reject(new Error("bench peer started without an IPC channel (run it through bench/run.ts)"));
      return;
    }
    process.send(msg, undefined, {}, (err) => (err ? reject(err) : resolve()));
  });
}

/** The next control message from the bench process. */
export function fromParent(): Promise<PeerMessage> {
  return new Promise((resolve) => process.once("message", (m) => resolve(m as PeerMessage)));
}

export function requireEnv(key: string): string {
  const v = process.env[key];
  if (v === undefined || v === "") throw new Error(`bench peer: ${key} is not set`);
  return v;
}

// ---- time and statistics ----

export const now = (): bigint => process.hrtime.bigint();

export function seconds(from: bigint, to: bigint): number {
  const s = Number(to - from) / 1e9;
  if (!(s > 0)) throw new Error(`non-positive duration ${s} s (clock mismatch?)`);
  return s;
}

/** Sorts a copy and returns the q-quantile (nearest rank), q in [0, 1]. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (values: ArrayLike<number>): number => quantile(values, 0.5);

/** Runs each measurement `repeat` times, interleaved (a, b, a, b, …), to spread machine noise evenly. */
export async function interleave<K extends string>(repeat: number, cases: Record<K, () => Promise<number>>): Promise<Record<K, number[]>> {
  const out = {} as Record<K, number[]>;
  for (const k of Object.keys(cases) as K[]) out[k] = [];
  for (let i = 0; i < repeat; i++) {
    for (const k of Object.keys(cases) as K[]) out[k].push(await cases[k]());
  }
  return out;
}
