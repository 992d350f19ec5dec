// The sending end users hold. It checks that the handle is open and leaves
// the sending to its port, which the routing layer implements (SenderCore)
// without promises or timers: the waiting — ready() and receiverGone — lives
// here, woken by the port's status callback. The channel ends sit below the
// codec and the router, so both can name them.
import { EndpointClosedError, type ReceiverGoneError } from "../errors.js";
import type { Sendable } from "./sendable.js";
import { abortedAlready, bounded, type WaitOptions } from "./wait.js";

/** What a Sender asks of the stream behind it; every clone shares one. */
export interface SenderPort<T> {
  send(value: T): boolean;
  /** send() would return true. */
  readonly hasRoom: boolean;
  /** Set once the receiver is known to be gone. */
  readonly gone: ReceiverGoneError | undefined;
  /** The last handle closed and the stream's end went out. */
  readonly closed: boolean;
  /**
   * Called, synchronously, when the port has room again, learned its receiver
   * is gone, or closed. Its one holder (the waits every clone shares) sets it.
   */
  onStatus: (() => void) | undefined;
  flush(): Promise<void>;
  retain(): void;
  /** One handle closed; the last one closes the stream. */
  release(): void;
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
  readonly reject: (err: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The waits on one port, shared by every Sender over it (clones share a port). */
class SenderWaits {
  private room: Deferred<void> | undefined;
  private lost: Deferred<ReceiverGoneError> | undefined;

  constructor(private readonly port: SenderPort<unknown>) {
    port.onStatus = () => this.statusChanged();
  }

  ready(options: WaitOptions | undefined): Promise<void> {
    const port = this.port;
    if (port.gone !== undefined) return Promise.reject(port.gone);
    const early = abortedAlready("ready", options);
    if (early !== undefined) return Promise.reject(early);
    if (port.hasRoom) return Promise.resolve();
    if (this.room === undefined) {
      this.room = deferred();
      this.room.promise.catch(() => {}); // observed through bounded() below
    }
    return bounded("ready", this.room.promise, options);
  }

  gone(): Promise<ReceiverGoneError> {
    if (this.port.gone !== undefined) return Promise.resolve(this.port.gone);
    this.lost ??= deferred();
    return this.lost.promise;
  }

  private statusChanged(): void {
    if (this.room === undefined && this.lost === undefined) return; // called per credit: nobody waits
    const { gone, closed, hasRoom } = this.port;
    if (gone !== undefined && this.lost !== undefined) {
      this.lost.resolve(gone);
      this.lost = undefined;
    }
    const room = this.room;
    if (room === undefined) return;
    if (gone !== undefined) room.reject(gone);
    else if (closed) room.reject(new EndpointClosedError("sender was closed"));
    else if (hasRoom) room.resolve();
    else return;
    this.room = undefined;
  }
}

const waitsOf = new WeakMap<SenderPort<unknown>, SenderWaits>();

function waitsFor(port: SenderPort<unknown>): SenderWaits {
  let waits = waitsOf.get(port);
  if (waits === undefined) {
    waits = new SenderWaits(port);
    waitsOf.set(port, waits);
  }
  return waits;
}

/** The public sending end. Clone it to send from several places; close every clone. */
export class Sender<T> implements Disposable {
  private isClosed = false;
  private readonly waits: SenderWaits;

  /** @internal */
  constructor(
    /** @internal */
    readonly core: SenderPort<T>,
  ) {
    this.waits = waitsFor(core);
  }

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
    return this.waits.ready(options);
  }

  /** send() that waits for room first: the simple way to respect backpressure. */
  async sendAsync(value: Sendable<T>, options?: WaitOptions): Promise<void> {
    this.checkOpen();
    await this.waits.ready(options);
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
    return this.waits.gone();
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
