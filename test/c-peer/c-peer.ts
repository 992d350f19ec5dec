// Builds the C peer (test/c/peer.c, on the C library in c/) into test/.build/ and
// runs it as a child process that reports progress as text lines on stdout
// ("name <server name>", "accepted", "received 100000", …). Every wait is
// bounded; nothing sleeps.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { root } from "../c-layout/c-build.js";
import { buildWithLib } from "../c-lib/c-lib.js";

/** Compiles test/c/peer.c with the C library (once per process). */
export function buildPeer(): string {
  return buildWithLib("c-peer", "peer", [join(root, "test", "c", "peer.c")]);
}

export class CPeer {
  readonly proc: ChildProcess;
  private readonly lines: string[] = [];
  private wake: (() => void) | undefined;
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: readonly string[], env: Record<string, string> = {}, exe = buildPeer()) {
    this.proc = spawn(exe, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    this.proc.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.proc.stdout! }).on("line", (line) => {
      this.lines.push(line);
      this.wake?.();
    });
    this.exited = new Promise((resolve) => this.proc.on("exit", (code, signal) => resolve({ code, signal })));
    this.exited.then(
      () => this.wake?.(),
      () => {},
    );
  }

  /** The rest of the next line starting with `word` (lines before it are skipped). */
  async next(word: string, timeoutMs = 20_000): Promise<string> {
    return (await this.nextOf([word], timeoutMs)).rest;
  }

  /** The next line starting with one of `words`: which word, and the rest of the line. */
  async nextOf(words: readonly string[], timeoutMs = 20_000): Promise<{ word: string; rest: string }> {
    const deadline = Date.now() + timeoutMs;
    const wanted = words.map((w) => `"${w}"`).join(" or ");
    for (;;) {
      while (this.lines.length > 0) {
        const line = this.lines.shift()!;
        for (const word of words) {
          if (line === word) return { word, rest: "" };
          if (line.startsWith(`${word} `)) return { word, rest: line.slice(word.length + 1) };
        }
      }
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        throw new Error(`C peer exited (${this.proc.exitCode ?? this.proc.signalCode}) before ${wanted}; stderr:\n${this.stderr}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`C peer: no ${wanted} line within ${timeoutMs} ms; stderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Waits for the exit code (killing the peer after timeoutMs). */
  async exitCode(timeoutMs = 20_000): Promise<number | null> {
    const timer = setTimeout(() => this.kill(), timeoutMs);
    const { code } = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** Waits for a clean exit (code 0). */
  async succeeded(timeoutMs = 20_000): Promise<void> {
    const code = await this.exitCode(timeoutMs);
    if (code !== 0) throw new Error(`C peer exited with ${code ?? "a signal"}; stderr:\n${this.stderr}`);
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
  }
}
