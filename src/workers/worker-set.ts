// WorkerSet: a host runs a set of worker processes and sends each call to an
// idle one (ipc2's job, typed from the schema). When all are busy, calls wait
// in a bounded queue. Crashed workers are replaced in the background, with
// exponential backoff and a cap on restarts per window; a call in flight on a
// crashed worker fails with WorkerCrashedError, or is retried once on another
// worker when its method is NO_SIDE_EFFECTS or IDEMPOTENT. A timed-out call
// either restarts its worker or fails while the worker is quarantined (no new
// call until its handler finishes). restart() replaces every worker without
// growing the pool; close() drains.
import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import os from "node:os";
import { fileURLToPath } from "node:url";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { DisconnectedError, TimeoutError } from "../errors.js";
import { OneShotServer } from "../bootstrap/one-shot-server.js";
import { channel } from "../routing/channel.js";
import type { Receiver } from "../ends/receiver.js";
import type { Sender } from "../ends/sender.js";
import { abortedAlready, waitFor, type WaitOptions } from "../ends/wait.js";
import { ReplyChannel, type CallEnvelope, type ReplyFrame } from "../rpc/envelope.js";
import { QueueFullError, WorkerCrashedError, WorkerSetClosedError } from "../rpc/errors.js";
import { createClient } from "../rpc/client.js";
import type { CallTransport, ReplyStream } from "../rpc/transport.js";
import type { Client } from "../rpc/types.js";
import { WORKER_ENV, WorkerHelloChannel } from "./run-worker.js";
import { LineSplitter } from "./output-lines.js";

/** Longest worker output line passed on, unless WorkerSetOptions.outputLineLimit says otherwise. */
export const DEFAULT_OUTPUT_LINE_LIMIT = 64 * 1024;

export interface WorkerSetOptions<S extends DescService> {
  readonly service: S;
  /** The worker program (it calls runWorker): a path, or a file: URL such as `new URL("./worker.ts", import.meta.url)`. */
  readonly entry: string | URL;
  readonly args?: readonly string[];
  /** Node flags for workers (default: this process's, so loaders such as tsx carry over). */
  readonly execArgv?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Workers (default os.availableParallelism()). */
  readonly count?: number;
  /** Calls that may wait for a worker; more fail with QueueFullError (default 1000). */
  readonly queueLimit?: number;
  /** Per-call time limit (default none) and what happens to the worker when it passes. */
  readonly callTimeoutMs?: number;
  readonly onTimeout?: "restart" | "error";
  /** Worker output: prefixed with "[worker N] " and forwarded (default), or emitted as "output" events. */
  readonly output?: "forward" | "capture";
  /**
   * Longest output line passed on, in bytes (default 64 KiB). A longer line
   * is cut there (flagged `cut`, or marked "[cut at N bytes]" when forwarded)
   * and the rest of it dropped, so a worker writing without newlines cannot
   * make the host hold its output.
   */
  readonly outputLineLimit?: number;
  /** Backoff before replacing a crashed worker: base × 2^(crashes in a row − 1), at most max (ms). */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** At most this many replacements per window; beyond, they wait (and "restart-limited" is emitted). */
  readonly restartLimit?: { readonly count: number; readonly windowMs: number };
  /** A worker must say hello within this time after it starts (default 20 s). */
  readonly startTimeoutMs?: number;
}

export interface WorkerSetEvents {
  spawn: [info: { id: number; pid: number }];
  ready: [info: { id: number; pid: number }];
  exit: [info: { id: number; pid: number; code: number | null; signal: NodeJS.Signals | null; expected: boolean }];
  backoff: [info: { delayMs: number; crashesInARow: number }];
  "restart-limited": [info: { waitMs: number; restartsInWindow: number }];
  timeout: [info: { id: number; method: string; action: "restart" | "error" }];
  queue: [info: { length: number }];
  output: [info: { id: number; stream: "stdout" | "stderr"; line: string; cut: boolean }];
}

type WorkerState = "starting" | "idle" | "busy" | "quarantined" | "retiring" | "gone";

interface Worker {
  readonly id: number;
  readonly proc: ChildProcess;
  state: WorkerState;
  calls?: Sender<CallEnvelope>;
  current?: PoolCall;
  /** Calls given to it, and handlers it reported finished (see runWorker). */
  started: number;
  finished: number;
  /** Its current call was cancelled: it takes no other until its handler reports the end. */
  awaitingFinish: boolean;
  readonly exited: Promise<void>;
  expectedExit: boolean;
}

/** The replies of one call as the caller sees them, across retries. */
class PoolCall implements ReplyStream {
  private readonly frames: ReplyFrame[] = [];
  private failure: unknown;
  private wake: (() => void) | undefined;
  attempts = 0;
  delivered = 0;
  ended = false;
  cancelled = false;
  /** The current attempt's reply receiver (closing it cancels the handler). */
  replies?: Receiver<ReplyFrame>;
  timer?: NodeJS.Timeout;
  /** When the caller made the call: time in the queue counts against its deadline. */
  readonly madeAt = Date.now();

  constructor(
    readonly method: DescMethod,
    readonly build: (reply: Sender<ReplyFrame>) => CallEnvelope,
    private readonly onCancel: (call: PoolCall) => void,
  ) {}

  get retryable(): boolean {
    const level = this.method.idempotency;
    const safe = level === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS || level === MethodOptions_IdempotencyLevel.IDEMPOTENT;
    const replayable = this.method.methodKind === "unary" || this.method.methodKind === "server_streaming";
    return safe && replayable && this.attempts === 1 && this.delivered === 0;
  }

  push(frame: ReplyFrame): void {
    this.delivered++;
    if (!("ok" in frame)) this.ended = true;
    this.frames.push(frame);
    this.wake?.();
  }

  fail(err: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = err;
    this.wake?.();
  }

  next(options?: WaitOptions): Promise<ReplyFrame> {
    return waitFor<ReplyFrame>("call", options, (resolve, reject) => {
      const check = () => {
        const frame = this.frames.shift();
        if (frame !== undefined) resolve(frame);
        else if (this.failure !== undefined) reject(this.failure);
        else return false;
        this.wake = undefined;
        return true;
      };
      if (!check()) this.wake = () => void check();
      return () => (this.wake = undefined);
    });
  }

  close(): void {
    if (this.ended && this.frames.length === 0) return;
    if (!this.ended) {
      this.cancelled = true;
      this.ended = true;
      this.onCancel(this);
    }
  }
}

export class WorkerSet<S extends DescService> extends EventEmitter<WorkerSetEvents> implements AsyncDisposable {
  /** Calls go to idle workers through this client. */
  readonly client: Client<S>;
  private readonly workers = new Map<number, Worker>();
  private readonly queue: PoolCall[] = [];
  private nextId = 1;
  private closing = false;
  private crashesInARow = 0;
  private readonly restarts: number[] = [];
  private readonly count: number;
  /** Resolves close() once nothing is queued or running. */
  private onDrained: (() => void) | undefined;
  /** The one close in progress: close() again waits for it. */
  private closed: Promise<void> | undefined;

  private constructor(private readonly options: WorkerSetOptions<S>) {
    super();
    this.count = options.count ?? os.availableParallelism();
    const transport: CallTransport = { start: (method, build) => this.start(method, build) };
    this.client = createClient(options.service, transport);
  }

  /** Starts the workers (see ready() to wait for them). Calls made meanwhile wait in the queue. */
  static start<S extends DescService>(options: WorkerSetOptions<S>): WorkerSet<S> {
    const set = new WorkerSet(options);
    for (let i = 0; i < set.count; i++) void set.spawnWorker();
    return set;
  }

  /**
   * Resolves once `count` workers are listed, none is starting, and each has
   * answered a probe: a worker killed a moment ago (its exit not seen yet)
   * holds it back until it is replaced.
   */
  async ready(options?: WaitOptions): Promise<void> {
    const deadline = options?.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
    const within = (): WaitOptions => ({
      timeoutMs: deadline === undefined ? undefined : Math.max(0, deadline - Date.now()),
      signal: options?.signal,
    });
    for (;;) {
      await this.fullPool(within());
      const listed = [...this.workers.values()].filter((w) => w.state !== "starting" && w.state !== "gone");
      const answers = await waitFor<boolean[]>("ready", within(), (resolve, reject) => {
        Promise.all(listed.map((w) => this.answers(w))).then(resolve, reject);
        return () => {};
      });
      const dead = listed.filter((_, i) => !answers[i]);
      if (dead.length === 0) return;
      // Gone but still listed: wait until its exit is seen (it leaves the list), then for its replacement.
      await waitFor<void>("ready", within(), (resolve) => {
        void Promise.all(dead.map((w) => w.exited)).then(() => resolve());
        return () => {};
      });
    }
  }

  private fullPool(options: WaitOptions): Promise<void> {
    const full = () => [...this.workers.values()].filter((w) => w.state !== "starting" && w.state !== "gone").length >= this.count;
    const early = abortedAlready("ready", options);
    if (early !== undefined) return Promise.reject(early);
    if (full()) return Promise.resolve();
    return waitFor<void>("ready", options, (resolve) => {
      const check = () => {
        if (!full()) return;
        this.off("ready", check);
        resolve();
      };
      this.on("ready", check);
      return () => this.off("ready", check);
    });
  }

  /** Whether the worker's process answers (a call to no method gets UNIMPLEMENTED back at once). */
  private async answers(worker: Worker): Promise<boolean> {
    if (worker.calls === undefined || worker.state === "gone") return false;
    const [reply, replies] = channel(ReplyChannel);
    try {
      worker.calls.send({ method: "", reply });
      reply.close();
      await replies.recv();
      return true;
    } catch {
      return false;
    } finally {
      reply.close();
      replies.close();
    }
  }

  /** Workers alive (starting or running). */
  get size(): number {
    return [...this.workers.values()].filter((w) => w.state !== "gone").length;
  }

  get idle(): number {
    return [...this.workers.values()].filter((w) => w.state === "idle").length;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Worker process ids, for tests and diagnostics. */
  get pids(): number[] {
    return [...this.workers.values()].filter((w) => w.state !== "gone").map((w) => w.proc.pid!);
  }

  // ---- calls ----

  private start(method: DescMethod, build: (reply: Sender<ReplyFrame>) => CallEnvelope): ReplyStream {
    const call = new PoolCall(method, build, (c) => this.cancel(c));
    if (this.closing) {
      call.fail(new WorkerSetClosedError("the worker set is closing"));
      return call;
    }
    const worker = this.idleWorker();
    if (worker !== undefined) this.run(worker, call);
    else this.enqueue(call);
    return call;
  }

  private enqueue(call: PoolCall, front = false): void {
    const limit = this.options.queueLimit ?? 1000;
    if (!front && this.queue.length >= limit) {
      call.fail(new QueueFullError(`all ${this.count} workers are busy and ${limit} calls are queued`));
      return;
    }
    if (front) this.queue.unshift(call);
    else this.queue.push(call);
    this.emit("queue", { length: this.queue.length });
  }

  private idleWorker(): Worker | undefined {
    for (const w of this.workers.values()) if (w.state === "idle") return w;
    return undefined;
  }

  private run(worker: Worker, call: PoolCall): void {
    worker.state = "busy";
    worker.current = call;
    call.attempts++;
    worker.started++;
    const [reply, replies] = channel(ReplyChannel);
    call.replies = replies;
    try {
      worker.calls!.send(withDeadlineLeft(call.build(reply), call.madeAt));
    } catch {
      // The worker is going away; its exit puts the call back or fails it.
    } finally {
      reply.close();
    }
    // The worker's own limit runs from now, whatever the caller's deadline: a cancel does not stop it.
    const timeoutMs = this.options.callTimeoutMs;
    if (timeoutMs !== undefined) call.timer = setTimeout(() => this.timedOut(worker, call, timeoutMs), timeoutMs);
    void this.pump(worker, call, replies);
  }

  private async pump(worker: Worker, call: PoolCall, replies: Receiver<ReplyFrame>): Promise<void> {
    let finished = false;
    try {
      for (;;) {
        const frame = await replies.recv();
        if (!call.ended || call.delivered > 0) {
          if (!call.cancelled) call.push(frame);
        }
        if (!("ok" in frame)) {
          finished = true;
          break;
        }
      }
    } catch (err) {
      // Closed by cancel(), or the worker's process went away before the end.
      if (!(err instanceof DisconnectedError) || call.cancelled) finished = true;
    }
    const limited = this.options.callTimeoutMs !== undefined;
    if (finished && call.cancelled && limited && worker.current === call && worker.finished < worker.started) {
      // The handler was told to stop; until it reports that it has, the worker may be hung
      // (its own time limit then acts on it).
      worker.awaitingFinish = true;
      return;
    }
    clearTimeout(call.timer);
    if (finished) {
      this.crashesInARow = 0;
      this.release(worker, call);
    } else {
      this.crashed(worker, call);
    }
  }

  /** The worker reports each handler's end; one a cancelled call was waiting for frees it. */
  private async watchFinished(worker: Worker, finished: Receiver<unknown>): Promise<void> {
    try {
      for await (const _ of finished) {
        worker.finished++;
        const call = worker.current;
        if (!worker.awaitingFinish || call === undefined || worker.finished < worker.started) continue;
        worker.awaitingFinish = false;
        clearTimeout(call.timer);
        this.crashesInARow = 0;
        this.release(worker, call);
      }
    } catch {
      // The worker's process went away: its exit is handled elsewhere.
    }
  }

  private release(worker: Worker, call: PoolCall): void {
    if (worker.current !== call) return;
    worker.current = undefined;
    if (worker.state === "busy" || worker.state === "quarantined") worker.state = "idle";
    if (worker.state === "retiring") this.retire(worker);
    this.dispatch();
    this.checkDrained();
  }

  private checkDrained(): void {
    const running = [...this.workers.values()].some((w) => w.current !== undefined);
    if (this.closing && this.queue.length === 0 && !running) this.onDrained?.();
  }

  private crashed(worker: Worker, call: PoolCall): void {
    if (worker.current === call) worker.current = undefined;
    if (call.ended) return;
    if (call.retryable) {
      this.enqueue(call, true);
      this.dispatch();
    } else {
      call.fail(new WorkerCrashedError(`worker ${worker.id} (pid ${worker.proc.pid}) died during ${call.method.name}`));
    }
    this.checkDrained();
  }

  private cancel(call: PoolCall): void {
    const i = this.queue.indexOf(call);
    if (i >= 0) this.queue.splice(i, 1);
    // The handler sees its call cancelled; the worker is free once it reports its end, or
    // its own time limit (still running) acts on it.
    call.replies?.close();
  }

  private timedOut(worker: Worker, call: PoolCall, timeoutMs: number): void {
    const action = this.options.onTimeout ?? "error";
    this.emit("timeout", { id: worker.id, method: call.method.name, action });
    call.fail(new TimeoutError(`${call.method.name} took longer than ${timeoutMs} ms on worker ${worker.id}`));
    if (action === "restart") {
      worker.proc.kill("SIGKILL");
    } else if (worker.state === "busy") {
      worker.state = "quarantined"; // no new call until its handler finishes
    }
  }

  private dispatch(): void {
    for (;;) {
      const worker = this.idleWorker();
      const call = worker && this.queue.shift();
      if (worker === undefined || call === undefined) break;
      this.emit("queue", { length: this.queue.length });
      this.run(worker, call);
    }
  }

  // ---- workers ----

  private async spawnWorker(): Promise<void> {
    const id = this.nextId++;
    // No socket for the worker to call back on (ListenFailedError): a failed start, retried after a backoff.
    const created = await OneShotServer.create(WorkerHelloChannel).catch(() => undefined);
    if (created === undefined) {
      this.crashesInARow++;
      if (!this.closing) this.scheduleReplacement();
      return;
    }
    const { server, name } = created;
    if (this.closing) {
      await server.close(); // closed while the socket was made: no worker to start
      return;
    }
    const proc = spawn(
      process.execPath,
      [...(this.options.execArgv ?? process.execArgv), entryPath(this.options.entry), ...(this.options.args ?? [])],
      {
        env: { ...process.env, ...this.options.env, [WORKER_ENV]: name },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let resolveExited!: () => void;
    const exited = new Promise<void>((resolve) => (resolveExited = resolve));
    const worker: Worker = { id, proc, state: "starting", exited, expectedExit: false, started: 0, finished: 0, awaitingFinish: false };
    this.workers.set(id, worker);
    this.emit("spawn", { id, pid: proc.pid! });
    this.forwardOutput(worker);
    const gone = (code: number | null, signal: NodeJS.Signals | null) => {
      if (worker.state === "gone") return;
      resolveExited();
      this.onExit(worker, code, signal);
    };
    proc.once("exit", gone);
    // A process that could not be started (EAGAIN, EMFILE …) may never emit "exit"; unheard, "error" would crash us.
    proc.on("error", () => proc.pid === undefined && gone(null, null));
    try {
      const { first } = await server.accept({ timeoutMs: this.options.startTimeoutMs ?? 20_000 });
      // Gone, or retired (close(), restart()) while it started: closing its channels makes it exit.
      if (worker.state !== "starting" || worker.expectedExit) {
        first.calls.close();
        first.finished.close();
        return;
      }
      worker.calls = first.calls;
      void this.watchFinished(worker, first.finished);
      worker.state = "idle";
      this.emit("ready", { id, pid: proc.pid! });
      this.dispatch();
    } catch {
      proc.kill("SIGKILL"); // never said hello: counts as a crash
    } finally {
      await server.close();
    }
  }

  private forwardOutput(worker: Worker): void {
    const limit = this.options.outputLineLimit ?? DEFAULT_OUTPUT_LINE_LIMIT;
    for (const stream of ["stdout", "stderr"] as const) {
      const lines = new LineSplitter(limit, (line, cut) => {
        if (this.options.output === "capture") this.emit("output", { id: worker.id, stream, line, cut });
        else process[stream].write(`[worker ${worker.id}] ${line}${cut ? ` [cut at ${limit} bytes]` : ""}\n`);
      });
      const input = worker.proc[stream]!;
      input.on("data", (chunk: Buffer) => lines.push(chunk));
      input.on("end", () => lines.end());
    }
  }

  private onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    const expected = worker.expectedExit;
    worker.state = "gone";
    worker.calls?.close();
    this.workers.delete(worker.id);
    this.emit("exit", { id: worker.id, pid: worker.proc.pid!, code, signal, expected });
    if (this.closing && this.size === 0) {
      // Nobody is left to run what is queued.
      for (const call of this.queue.splice(0)) call.fail(new WorkerSetClosedError("the worker set closed before this call ran"));
      this.checkDrained();
    }
    if (expected || this.closing) return;
    this.crashesInARow++;
    this.scheduleReplacement();
  }

  private scheduleReplacement(): void {
    const { baseMs, maxMs } = this.options.backoff ?? { baseMs: 100, maxMs: 5_000 };
    let delayMs = Math.min(maxMs, baseMs * 2 ** Math.max(0, this.crashesInARow - 1));
    this.emit("backoff", { delayMs, crashesInARow: this.crashesInARow });
    const { count, windowMs } = this.options.restartLimit ?? { count: 10, windowMs: 10_000 };
    const now = Date.now();
    while (this.restarts.length > 0 && this.restarts[0]! <= now - windowMs) this.restarts.shift();
    // Replacements already scheduled count too, so a burst of exits cannot overshoot.
    const scheduled = this.restarts.length;
    if (scheduled >= count) {
      const waitMs = this.restarts[scheduled - count]! + windowMs - now;
      this.emit("restart-limited", { waitMs, restartsInWindow: scheduled });
      delayMs = Math.max(delayMs, waitMs);
    }
    this.restarts.push(now + delayMs);
    // Not unref'd: an open pool whose workers all died must still come back.
    setTimeout(() => {
      if (!this.closing && this.size < this.count) void this.spawnWorker();
    }, delayMs);
  }

  private retire(worker: Worker): void {
    worker.expectedExit = true;
    worker.calls?.close(); // the worker's serve() ends and it exits
    worker.calls = undefined;
  }

  /** Replaces every worker, one at a time, never running more than `count`. */
  async restart(): Promise<void> {
    for (const worker of [...this.workers.values()]) {
      if (worker.state === "gone") continue;
      if (worker.state === "idle" || worker.state === "starting") this.retire(worker);
      else worker.state = "retiring"; // finishes its call first
      await worker.exited;
      if (!this.closing) await this.spawnWorker();
    }
  }

  /** Stops taking calls, lets queued and running ones finish, then stops the workers. Idempotent. */
  close(): Promise<void> {
    this.closed ??= this.drainAndStop();
    return this.closed;
  }

  private async drainAndStop(): Promise<void> {
    this.closing = true;
    await new Promise<void>((resolve) => {
      this.onDrained = resolve;
      this.checkDrained();
    });
    for (const worker of this.workers.values()) this.retire(worker);
    await Promise.all([...this.workers.values()].map((w) => w.exited));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A worker entry as a path: file: URLs (as objects or strings, e.g. from import.meta.resolve) converted. */
function entryPath(entry: string | URL): string {
  return entry instanceof URL || entry.startsWith("file:") ? fileURLToPath(entry) : entry;
}

/** The caller's deadline less the time the call waited for a worker. */
function withDeadlineLeft(envelope: CallEnvelope, madeAt: number): CallEnvelope {
  if (envelope.timeoutMs === undefined) return envelope;
  return { ...envelope, timeoutMs: Math.max(1, envelope.timeoutMs - (Date.now() - madeAt)) };
}
