// The receiving end of a channel: a FIFO of decoded messages fed by inlets
// (local senders or remote routes). Queued messages are delivered before
// DisconnectedError; consuming a message returns flow-control credit to the
// inlet it came from.
import { DisconnectedError, EndpointClosedError, type EndReason } from "../errors.js";
import { waitFor, type WaitOptions } from "./wait.js";

/** A source of messages for one receiver: a local sender core or a remote route. */
export interface Inlet {
  /** The receiver consumed `bytes` that came through this inlet. */
  consumed(bytes: number): void;
  /** The receiver was closed: later sends through this inlet must fail. */
  receiverGone(): void;
}

interface Waiter<T> {
  /** 0 for recv(), the batch limit for recvMany(). */
  readonly max: number;
  readonly resolve: (value: T & T[]) => void;
  readonly reject: (err: unknown) => void;
}

export class ReceiverCore<T> {
  // Parallel arrays with a moving head: no allocation per queued message.
  private values: T[] = [];
  private sizes: number[] = [];
  private sources: Inlet[] = [];
  private head = 0;
  private readonly inlets = new Set<Inlet>();
  private waiters: Waiter<T>[] = [];
  private wakeScheduled = false;
  private ended: DisconnectedError | undefined;
  private abnormal: { reason: EndReason; cause: unknown } | undefined;
  closed = false;

  constructor(readonly label: string) {}

  get queued(): number {
    return this.values.length - this.head;
  }

  attach(inlet: Inlet): void {
    this.inlets.add(inlet);
    this.ended = undefined;
  }

  push(value: T, size: number, inlet: Inlet): void {
    if (this.closed) return;
    this.values.push(value);
    this.sizes.push(size);
    this.sources.push(inlet);
    // Wake waiters once per turn, after the whole received chunk is queued.
    if (this.waiters.length > 0 && !this.wakeScheduled) {
      this.wakeScheduled = true;
      queueMicrotask(() => this.wake());
    }
  }

  /** An inlet will deliver nothing more. */
  detach(inlet: Inlet, reason: EndReason = "closed", cause?: unknown): void {
    if (!this.inlets.delete(inlet)) return;
    if (reason !== "closed" && this.abnormal === undefined) this.abnormal = { reason, cause };
    if (this.inlets.size === 0) {
      const a = this.abnormal;
      this.ended = a === undefined ? new DisconnectedError() : new DisconnectedError(a.reason, { cause: a.cause });
      this.wake();
    }
  }

  tryRecv(): T | undefined {
    this.checkOpen();
    if (this.queued > 0) return this.take();
    if (this.ended !== undefined) throw this.ended;
    return undefined;
  }

  recv(options?: WaitOptions): Promise<T> {
    return this.wait(0, options) as Promise<T>;
  }

  recvMany(max: number, options?: WaitOptions): Promise<T[]> {
    if (!(max >= 1)) throw new RangeError(`recvMany: max must be >= 1, got ${max}`);
    return this.wait(max, options) as Promise<T[]>;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const inlet of this.inlets) inlet.receiverGone();
    this.inlets.clear();
    this.values = [];
    this.sizes = [];
    this.sources = [];
    this.head = 0;
    const err = new EndpointClosedError(`${this.label} was closed`);
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  private wait(max: number, options?: WaitOptions): Promise<T | T[]> {
    if (this.closed) return Promise.reject(new EndpointClosedError(`${this.label} was closed`));
    if (this.waiters.length === 0) {
      if (this.queued > 0) return Promise.resolve(max === 0 ? this.take() : this.takeMany(max));
      if (this.ended !== undefined) return Promise.reject(this.ended);
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

  private wake(): void {
    this.wakeScheduled = false;
    while (this.waiters.length > 0) {
      if (this.queued > 0) {
        const w = this.waiters.shift()!;
        w.resolve((w.max === 0 ? this.take() : this.takeMany(w.max)) as T & T[]);
      } else if (this.ended !== undefined) {
        const err = this.ended;
        for (const w of this.waiters.splice(0)) w.reject(err);
      } else {
        return;
      }
    }
  }

  private take(): T {
    const i = this.head++;
    const value = this.values[i] as T;
    this.sources[i]!.consumed(this.sizes[i]!);
    if (this.head === this.values.length) {
      this.values.length = this.sizes.length = this.sources.length = this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.values.length) {
      this.values = this.values.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.sources = this.sources.slice(this.head);
      this.head = 0;
    }
    return value;
  }

  private takeMany(max: number): T[] {
    const n = Math.min(max, this.queued);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = this.take();
    return out;
  }

  private checkOpen(): void {
    if (this.closed) throw new EndpointClosedError(`${this.label} was closed`);
  }
}

/** The public receiving end. */
export class Receiver<T> implements AsyncIterable<T>, Disposable {
  constructor(private readonly core: ReceiverCore<T>) {}

  /** Waits for the next message; rejects with DisconnectedError once drained and disconnected. */
  recv(options?: WaitOptions): Promise<T> {
    return this.core.recv(options);
  }

  /** The next queued message, or undefined if none is queued yet. */
  tryRecv(): T | undefined {
    return this.core.tryRecv();
  }

  /** Up to `max` queued messages at once; waits only when none is queued. */
  recvMany(max = Number.MAX_SAFE_INTEGER, options?: WaitOptions): Promise<T[]> {
    return this.core.recvMany(max, options);
  }

  /** Messages until disconnection (which ends the loop quietly). */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      let batch: T[];
      try {
        batch = await this.core.recvMany(Number.MAX_SAFE_INTEGER);
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
    return this.core.closed;
  }

  /** Closes the receiver: queued messages are dropped and senders see ReceiverGoneError. */
  close(): void {
    this.core.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
