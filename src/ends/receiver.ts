// The receiving end users hold. Its queue and streams live in its port,
// which the routing layer implements (ReceiverCore) without promises or
// timers; the waiting — recv() and recvMany(), their timeouts and signals —
// lives here, woken by the port's status callback.
import { DisconnectedError, EndpointClosedError, EndpointMovedError, InvalidArgumentError } from "../errors.js";
import { abortedAlready, waitFor, type WaitOptions } from "./wait.js";

/** What a Receiver (and a ReceiverSet holding it) asks of the queue behind it. */
export interface ReceiverPort<T> {
  /** Names the receiver in error messages. */
  readonly label: string;
  readonly queued: number;
  readonly closed: boolean;
  /** Its queue and streams went to another process. */
  readonly moved: boolean;
  /** True once nothing more can arrive. */
  readonly disconnected: boolean;
  /**
   * Called, synchronously, when messages arrived or the port disconnected,
   * moved or closed. Its one holder (a Receiver or a ReceiverSet) sets it.
   */
  onStatus: (() => void) | undefined;
  /** The next queued message (queued > 0); consuming it returns its credit. */
  take(): T;
  /** The error a receive fails with once the port is drained and disconnected. */
  endError(): DisconnectedError;
  close(): void;
}

interface Waiter<T> {
  /** 0 for recv(), the batch limit for recvMany(). */
  readonly max: number;
  readonly resolve: (value: T & T[]) => void;
  readonly reject: (err: unknown) => void;
}

/** Why a port can no longer be received from, if it cannot. */
function unusable(port: ReceiverPort<unknown>): Error | undefined {
  if (port.moved) return new EndpointMovedError(`${port.label} was moved to another process; use the receiver there`);
  if (port.closed) return new EndpointClosedError(`${port.label} was closed`);
  return undefined;
}

const sentAway = () => new EndpointMovedError("this receiver was sent in a message; use it where it was received");

/** The public receiving end. */
export class Receiver<T> implements AsyncIterable<T>, Disposable {
  private movedAway = false;
  private waiters: Waiter<T>[] = [];
  private wakeScheduled = false;

  /** @internal */
  constructor(private readonly held: ReceiverPort<T>) {
    held.onStatus = () => this.statusChanged();
  }

  /** @internal The core; throws if this handle was sent away. */
  get core(): ReceiverPort<T> {
    if (this.movedAway) throw sentAway();
    return this.held;
  }

  /** @internal Gives up this handle (it was sent in a message, or joined a set) and returns its core. */
  handOver(): ReceiverPort<T> {
    const core = this.core;
    if (core.closed) throw new EndpointClosedError(`${core.label} was closed`);
    this.movedAway = true;
    core.onStatus = undefined;
    this.rejectWaiters(sentAway());
    return core;
  }

  /** Waits for the next message; rejects with DisconnectedError once drained and disconnected. */
  recv(options?: WaitOptions): Promise<T> {
    return this.wait(0, options) as Promise<T>;
  }

  /** The next queued message, or undefined if none is queued yet. */
  tryRecv(): T | undefined {
    const port = this.usable();
    if (port.queued > 0) return port.take();
    if (port.disconnected) throw port.endError();
    return undefined;
  }

  /** Up to `max` queued messages at once; waits only when none is queued. */
  recvMany(max = Number.MAX_SAFE_INTEGER, options?: WaitOptions): Promise<T[]> {
    if (!(max >= 1)) throw new InvalidArgumentError(`recvMany: max must be >= 1, got ${max}`);
    return this.wait(max, options) as Promise<T[]>;
  }

  /** Messages until disconnection (which ends the loop quietly). */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      let batch: T[];
      try {
        batch = await this.recvMany(Number.MAX_SAFE_INTEGER);
      } catch (err) {
        if (err instanceof DisconnectedError && err.reason === "closed") return;
        throw err;
      }
      yield* batch;
    }
  }

  get queued(): number {
    return this.core.queued;
  }

  get closed(): boolean {
    return this.held.closed;
  }

  /** Closes the receiver: queued messages are dropped and senders see ReceiverGoneError. */
  close(): void {
    if (!this.movedAway) this.held.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private usable(): ReceiverPort<T> {
    const port = this.core;
    const err = unusable(port);
    if (err !== undefined) throw err;
    return port;
  }

  private wait(max: number, options?: WaitOptions): Promise<T | T[]> {
    let port: ReceiverPort<T>;
    try {
      port = this.usable();
    } catch (err) {
      return Promise.reject(err);
    }
    const early = abortedAlready(max === 0 ? "recv" : "recvMany", options);
    if (early !== undefined) return Promise.reject(early);
    if (this.waiters.length === 0) {
      if (port.queued > 0) return Promise.resolve(max === 0 ? port.take() : this.takeMany(port, max));
      if (port.disconnected) return Promise.reject(port.endError());
    }
    if (options?.timeoutMs === undefined && options?.signal === undefined) {
      // The common case: no timer, no abort listener, no closures to undo.
      return new Promise<T | T[]>((resolve, reject) => {
        this.waiters.push({ max, resolve: resolve as Waiter<T>["resolve"], reject });
      });
    }
    return waitFor<T | T[]>(max === 0 ? "recv" : "recvMany", options, (resolve, reject) => {
      const waiter: Waiter<T> = { max, resolve: resolve as Waiter<T>["resolve"], reject };
      this.waiters.push(waiter);
      return () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
      };
    });
  }

  private statusChanged(): void {
    if (this.waiters.length === 0) return; // called per message: nobody waits, nothing to do
    const port = this.held;
    const err = unusable(port);
    if (err !== undefined) this.rejectWaiters(err);
    else if (port.disconnected) this.wake();
    else if (!this.wakeScheduled) {
      // Wake waiters once per turn, after the whole received chunk is queued.
      this.wakeScheduled = true;
      queueMicrotask(() => this.wake());
    }
  }

  private wake(): void {
    this.wakeScheduled = false;
    const port = this.held;
    while (this.waiters.length > 0 && !this.movedAway) {
      if (port.queued > 0) {
        const w = this.waiters.shift()!;
        w.resolve((w.max === 0 ? port.take() : this.takeMany(port, w.max)) as T & T[]);
      } else if (port.disconnected) {
        this.rejectWaiters(port.endError());
      } else {
        return;
      }
    }
  }

  private takeMany(port: ReceiverPort<T>, max: number): T[] {
    const n = Math.min(max, port.queued);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = port.take();
    return out;
  }

  private rejectWaiters(err: Error): void {
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
}
