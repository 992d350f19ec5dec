// Runs a TypeScript program from test/children/ as a real child process and
// talks to it through JSON lines on stdout. Every wait is bounded.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const childrenDir = fileURLToPath(new URL("../children/", import.meta.url));

export interface ChildEvent {
  readonly event: string;
  readonly [key: string]: unknown;
}

export class Child {
  readonly proc: ChildProcess;
  private readonly events: ChildEvent[] = [];
  private waiting: (() => void) | undefined;
  stderr = "";
  /** The child exited and everything it printed has been read. */
  private outputClosed = false;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** `prefix` runs the program through another command, e.g. `ip netns exec <ns>` (see netns.ts). */
  constructor(program: string, env: Record<string, string> = {}, prefix: readonly string[] = []) {
    // A directory of its own for what the child leaves behind: a killed child cannot
    // clean up, so its directory is removed here; a child that exits must leave it clean.
    const tmp = mkdtempSync(join(tmpdir(), "child-"));
    // tsx keeps its compile cache in the temporary directory: share it.
    const cache = `tsx-${process.getuid?.() ?? ""}`;
    mkdirSync(join(tmpdir(), cache), { recursive: true });
    symlinkSync(join(tmpdir(), cache), join(tmp, cache));
    const argv = [process.execPath, "--conditions=source", "--import", "tsx", childrenDir + program];
    this.proc = spawn([...prefix, ...argv][0]!, [...prefix, ...argv].slice(1), {
      env: { ...process.env, TMPDIR: tmp, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.proc.once("exit", (_code, signal) => {
      if (signal !== null) rmSync(tmp, { recursive: true, force: true });
    });
    this.proc.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.proc.stdout! }).on("line", (line) => {
      if (!line.startsWith("{")) return;
      this.events.push(JSON.parse(line) as ChildEvent);
      this.waiting?.();
    });
    this.proc.once("close", () => (this.outputClosed = true));
    this.exited = new Promise((resolve) => this.proc.on("exit", (code, signal) => resolve({ code, signal })));
  }

  /** The next event named `name` (events are consumed in order of arrival). */
  async next(name: string, timeoutMs = 20_000): Promise<ChildEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex((e) => e.event === name);
      if (i >= 0) return this.events.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`child ${this.proc.pid}: no "${name}" event within ${timeoutMs} ms; stderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
        // "close", not "exit": lines the child printed just before exiting may still be in the pipe.
        this.proc.once("close", () => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.waiting = undefined;
      if (this.outputClosed && !this.events.some((e) => e.event === name)) {
        throw new Error(`child exited (${this.proc.exitCode}) before "${name}"; stderr:\n${this.stderr}`);
      }
    }
  }

  /** Sends a line to the child's stdin. */
  tell(line: string): void {
    this.proc.stdin!.write(`${line}\n`);
  }

  /** Waits for a clean exit (code 0) within the time limit. */
  async succeeded(timeoutMs = 20_000): Promise<void> {
    const result = await Promise.race([
      this.exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`child did not exit within ${timeoutMs} ms`)), timeoutMs).unref(),
      ),
    ]);
    if (result.code !== 0) throw new Error(`child exited with ${result.code ?? result.signal}; stderr:\n${this.stderr}`);
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (this.proc.exitCode === null) this.proc.kill(signal);
  }
}

/** For child programs: report an event to the parent test. */
export function report(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, ...fields }, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}\n`);
}

let stdinLines: AsyncIterator<string> | undefined;

/** For child programs: the next line the parent sends on stdin ("" at its end). */
export async function instruction(): Promise<string> {
  stdinLines ??= createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const next = await stdinLines.next();
  return next.done === true ? "" : next.value;
}
