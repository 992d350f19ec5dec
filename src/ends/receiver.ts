// The receiving end users hold. Its queue and streams live in its port,
// which the routing layer implements (ReceiverCore); this facade only
// guards against use after the handle was sent away or closed.
import { DisconnectedError, EndpointClosedError, EndpointMovedError } from "../errors.js";
import type { WaitOptions } from "./wait.js";

/** What a Receiver (and a ReceiverSet holding it) asks of the queue behind it. */
export interface ReceiverPort<T> {
  /** Names the receiver in error messages. */
  readonly label: string;
  readonly queued: number;
  readonly closed: boolean;
  /** True once nothing more can arrive. */
  readonly disconnected: boolean;
  /** Called when an event may interest a receiver set. */
  onEvent: (() => void) | undefined;
  recv(options?: WaitOptions): Promise<T>;
  tryRecv(): T | undefined;
  recvMany(max: number, options?: WaitOptions): Promise<T[]>;
  close(): void;
}

/** The public receiving end. */
export class Receiver<T> implements AsyncIterable<T>, Disposable {
  private movedAway = false;

  /** @internal */
  constructor(private readonly held: ReceiverPort<T>) {}

  /** @internal The core; throws if this handle was sent away. */
  get core(): ReceiverPort<T> {
    if (this.movedAway) throw new EndpointMovedError("this receiver was sent in a message; use it where it was received");
    return this.held;
  }

  /** @internal Gives up this handle (it was sent in a message) and returns its core. */
  handOver(): ReceiverPort<T> {
    const core = this.core;
    if (core.closed) throw new EndpointClosedError(`${core.label} was closed`);
    this.movedAway = true;
    return core;
  }

  /** Waits for the next message; rejects with DisconnectedError once drained and disconnected. */
  recv(options?: WaitOptions): Promise<T> {
    if (this.movedAway) return Promise.reject(new EndpointMovedError("this receiver was sent in a message; use it where it was received"));
    return this.core.recv(options);
  }

  /** The next queued message, or undefined if none is queued yet. */
  tryRecv(): T | undefined {
    return this.core.tryRecv();
  }

  /** Up to `max` queued messages at once; waits only when none is queued. */
  recvMany(max = Number.MAX_SAFE_INTEGER, options?: WaitOptions): Promise<T[]> {
    if (this.movedAway) return Promise.reject(new EndpointMovedError("this receiver was sent in a message; use it where it was received"));
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
    return this.held.closed;
  }

  /** Closes the receiver: queued messages are dropped and senders see ReceiverGoneError. */
  close(): void {
    if (!this.movedAway) this.held.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
