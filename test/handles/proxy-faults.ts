// Shared by faults-pause.test.ts and faults-kill.test.ts: this process is A, the
// sender; a sink child C reads receivers that reach it through a proxy child B
// (A→B→C), while A streams numbers on them, and answers pings on a channel of
// its own on the same A–C connection.
import assert from "node:assert/strict";
import { setImmediate as turn } from "node:timers/promises";
import { AnyChannel, ReceiverGoneError, channel, connect, type Receiver, type Sender } from "protochan";
import { defaultRouter } from "../../src/routing/process-router.js";
import type { Link } from "../../src/routing/link.js";
import { OutRoute } from "../../src/routing/routes.js";
import { senderCore } from "../../src/routing/ends.js";
import { Child } from "../helpers/child.js";

const switchWatchers = new Set<() => void>();
const children: Child[] = [];

function spawn(env: Record<string, string>): Child {
  const child = new Child("faults.ts", env);
  children.push(child);
  return child;
}

/** Kills every child still running (after a test, whatever its outcome). */
export function killChildren(): void {
  for (const child of children.splice(0)) {
    child.kill("SIGCONT");
    child.kill("SIGKILL");
  }
}

/**
 * Resolves once `tx` sends straight over `link` (its stream was switched
 * there). `then` runs at the switch itself, before the HANDOFF it wrote on the
 * old path has left this process.
 */
export function switchedTo(tx: Sender<unknown>, link: Link, then?: () => void): Promise<void> {
  const router = defaultRouter();
  router.onSwitch = () => {
    for (const check of [...switchWatchers]) check();
  };
  return new Promise((resolve) => {
    const check = () => {
      const outlet = senderCore(tx).outlet;
      if (!(outlet instanceof OutRoute) || outlet.link !== link) return;
      switchWatchers.delete(check);
      then?.();
      resolve();
    };
    switchWatchers.add(check);
    check();
  });
}

/** C: reads moved receivers and answers pings over A's connection to it. */
export class Sink {
  private pinged = 0;

  private constructor(
    readonly child: Child,
    readonly name: string,
    private readonly control: Sender<unknown>,
    private readonly pongs: Receiver<unknown>,
  ) {}

  static async start(): Promise<Sink> {
    const child = spawn({ ROLE: "sink" });
    const name = (await child.next("listening")).name as string;
    const control = await connect(AnyChannel, name);
    const [reply, pongs] = channel();
    control.send({ reply });
    reply.close();
    const sink = new Sink(child, name, control, pongs);
    await sink.ping();
    return sink;
  }

  /** The A–C connection, which the moved streams also switch to. */
  get link(): Link {
    return (senderCore(this.control).outlet as OutRoute<unknown>).link;
  }

  /** The unrelated channel still works both ways over the A–C connection. */
  async ping(): Promise<void> {
    const n = ++this.pinged;
    this.control.send({ ping: n });
    assert.deepEqual(await this.pongs.recv({ timeoutMs: 10_000 }), { pong: n });
  }

  async result(trial: number): Promise<{ last: number; reason: string; disorder?: string }> {
    const r = await this.child.next("result");
    assert.equal(r.trial, trial);
    return r as unknown as { last: number; reason: string; disorder?: string };
  }

  stop(): void {
    this.control.close();
    this.child.kill("SIGKILL");
  }
}

/** B: a proxy in front of `sink`, ready to be sent receivers. */
export async function startProxy(sink: Sink): Promise<{ child: Child; toB: Sender<unknown> }> {
  const child = spawn({ ROLE: "proxy", SINK: sink.name });
  const toB = await connect(AnyChannel, (await child.next("listening")).name as string);
  return { child, toB };
}

/** Streams 1, 2, 3, … on a sender, respecting its window, yielding now and then. */
export class Pump {
  sent = 0;
  gone: ReceiverGoneError | undefined;
  /** Waiting for room in the window (flow control stopped the sender). */
  waiting = false;
  private stop = false;
  private running: Promise<void> | undefined;

  constructor(readonly tx: Sender<unknown>) {
    // Heard while not sending too (between sends, or once stopped).
    void tx.receiverGone.then((err) => (this.gone ??= err));
  }

  /** Sends `n` messages in one go (the window is not full yet). */
  burst(n: number): void {
    for (let i = 0; i < n; i++) this.tx.send(++this.sent);
  }

  start(): void {
    this.running = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stop) {
      try {
        const more = this.tx.send(this.sent + 1);
        this.sent++;
        if (!more) {
          this.waiting = true;
          await this.tx.ready();
          this.waiting = false;
        } else if (this.sent % 256 === 0) {
          await turn();
        }
      } catch (err) {
        if (!(err instanceof ReceiverGoneError)) throw err;
        this.gone = err;
        return;
      }
    }
  }

  /** Resolves once `n` more messages went out (or the receiver is gone). */
  async more(n: number): Promise<void> {
    const target = this.sent + n;
    while (this.sent < target && this.gone === undefined) await turn();
  }

  /** Stops sending; closes the sender unless its receiver is gone. */
  async finish(): Promise<void> {
    this.stop = true;
    await this.running;
    this.waiting = false;
    if (this.gone === undefined) this.tx.close();
  }
}

/** Runs `trials` in `lanes` that go on side by side, each trial after the one before it in its lane. */
export async function inLanes(lanes: number, trials: number, run: (lane: number, trial: number) => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let trial = lane; trial < trials; trial += lanes) await run(lane, trial);
    }),
  );
}
