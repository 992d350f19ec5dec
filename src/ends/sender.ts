// The sending end users hold. It checks that the handle is open and leaves
// the sending to its port, which the routing layer implements (SenderCore):
// the channel ends sit below the codec and the router, so both can name them.
import { EndpointClosedError, type ReceiverGoneError } from "../errors.js";
import type { Sendable } from "./sendable.js";
import { bounded, type WaitOptions } from "./wait.js";

/** What a Sender asks of the stream behind it; every clone shares one. */
export interface SenderPort<T> {
  send(value: T): boolean;
  ready(options?: WaitOptions): Promise<void>;
  flush(): Promise<void>;
  whenGone(): Promise<ReceiverGoneError>;
  retain(): void;
  /** One handle closed; the last one closes the stream. */
  release(): void;
}

/** The public sending end. Clone it to send from several places; close every clone. */
export class Sender<T> implements Disposable {
  private isClosed = false;

  /** @internal */
  constructor(
    /** @internal */
    readonly core: SenderPort<T>,
  ) {}

  /**
   * Queues `value` for the receiver. Returns false when the receiver is
   * `window` bytes behind: await ready() before sending more to keep memory
   * bounded. Throws ReceiverGoneError once the receiver is known to be gone,
   * and ResourceLimitError (`limit: "window"`) when sends keep coming after
   * `false` until four windows (at least 1 MiB) wait here — or, on a channel
   * whose messages may carry handles (never held back), once another window's
   * worth was sent past the window.
   */
  send(value: Sendable<T>): boolean {
    this.checkOpen();
    return this.core.send(value as T);
  }

  /** Resolves when the receiver has room again (immediately if it has). */
  ready(options?: WaitOptions): Promise<void> {
    this.checkOpen();
    return this.core.ready(options);
  }

  /** send() that waits for room first: the simple way to respect backpressure. */
  async sendAsync(value: Sendable<T>, options?: WaitOptions): Promise<void> {
    this.checkOpen();
    await this.core.ready(options);
    this.core.send(value as T);
  }

  /** Resolves once everything sent so far has been handed to the OS (before process.exit()). */
  flush(options?: WaitOptions): Promise<void> {
    return bounded("flush", this.core.flush(), options);
  }

  /**
   * Resolves (never rejects) with the ReceiverGoneError once the receiver is
   * gone: closed by its owner, or its process or connection lost.
   */
  get receiverGone(): Promise<ReceiverGoneError> {
    return this.core.whenGone();
  }

  /** Another sender for the same receiver, in the same order domain as this one. */
  clone(): Sender<T> {
    this.checkOpen();
    this.core.retain();
    return new Sender(this.core);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Closes this handle; the receiver disconnects when every sender is closed. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.core.release();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private checkOpen(): void {
    if (this.isClosed) throw new EndpointClosedError("sender was closed");
  }
}
