// The sending end of a channel. Clones share one SenderCore (one route, one
// sequence); the route closes when the last clone closes. Flow control is a
// byte window: send() returns false once the receiver holds `window` bytes it
// has not consumed, and ready() resolves when it has room again. Sends past
// that point are encoded at once (the value is snapshotted) and held here.
import { EndpointClosedError, ReceiverGoneError, ResourceLimitError, type EndReason } from "../errors.js";
import { heldLimit } from "./defaults.js";
import type { GlobalKey } from "./keys.js";
import type { ChannelType } from "../codec/channel-type.js";
import { abortedAlready, bounded, type WaitOptions } from "../ends/wait.js";
import type { SenderPort } from "../ends/sender.js";

/** Where a sender's messages go: a local receiver or a remote route. */
export interface Outlet<T> {
  readonly channel: ChannelType<T>;
  /** The receiver this outlet leads to (assigning it a global name if it has none). */
  port(): GlobalKey;
  /** Encodes and transmits `value` as message `seq`; returns its window charge. */
  write(value: T, seq: number): number;
  /** Encodes `value` into bytes of its own, to be sent later with writeEncoded. */
  encodeDetached(value: T): Uint8Array;
  /** Transmits an already encoded body as message `seq`; returns its window charge. */
  writeEncoded(body: Uint8Array, seq: number): number;
  /** No message will follow `lastSeq` (`lost`: the stream's origin was lost). */
  close(lastSeq: number, lost?: boolean): void;
  /** The stream goes on over another outlet after `lastSeq`, at `target` (switch number `join`). */
  handoff(lastSeq: number, target: Uint8Array, join: number): void;
  /** Resolves once everything written so far has been handed to the OS. */
  flush(): Promise<void>;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class SenderCore<T> implements SenderPort<T> {
  /** Credit after the stream closed is of no use to a sender (a proxy relays it; see RouteOwner). */
  readonly relaysCredit = false;
  private refs = 1;
  private seq = 0;
  private joins = 0;
  /** Global name of this stream, given when it first leaves the process. */
  stream: GlobalKey | undefined;
  private outstanding = 0;
  private held: Uint8Array[] = [];
  /** Bytes in `held`: bounded by heldLimit(window). */
  private heldBytes = 0;
  /** Never-held messages written since send() first returned false (reset once there is room). */
  private overrunBytes = 0;
  /** True while a message of this stream is being encoded and written. */
  private writing = false;
  /** Values with channel ends sent while another message was being written. */
  private reentered: T[] = [];
  private readyWait: Deferred | undefined;
  private closeRequested = false;
  private goneWatchers: ((err: ReceiverGoneError) => void)[] = [];
  gone: ReceiverGoneError | undefined;
  /** A clone sent to another process was lost before it opened: the stream's end says so. */
  cloneLost = false;

  constructor(
    public outlet: Outlet<T>,
    public window: number,
    /** Messages that may carry handles are never held back (their handles move at once). */
    private readonly neverHold = false,
  ) {}

  get open(): boolean {
    return this.refs > 0;
  }

  get lastSeq(): number {
    return this.seq;
  }

  get type(): ChannelType<T> {
    return this.outlet.channel;
  }

  /** Numbers this stream's switches: a HANDOFF and its continuation carry the same number. */
  nextJoin(): number {
    return ++this.joins;
  }

  /** Sends the rest of the stream through `outlet` (proxy removal); `join` from nextJoin(). */
  rebind(outlet: Outlet<T>, window: number, target: Uint8Array, join: number): void {
    this.outlet.handoff(this.seq, target, join);
    this.outlet = outlet;
    this.window = window;
    this.credit(0);
  }

  /**
   * Sequence numbers follow the order in which send() calls begin. A send
   * that begins while another of this stream is still encoding (a getter the
   * codec reads sends on a clone) cannot write into the frame under way: it
   * waits until that one is written, and follows it.
   */
  send(value: T): boolean {
    if (this.gone !== undefined) throw this.gone;
    if (this.writing) return this.sendReentered(value);
    if ((this.outstanding >= this.window || this.held.length > 0) && !this.neverHold) {
      this.hold(this.outlet.encodeDetached(value));
      return false;
    }
    // Never held (its handles move at once): a caller ignoring `false` until
    // 2·window is outstanding would make the receiver drop the connection,
    // so the refusal comes first (counting from the window would not: the
    // message that crossed it may be large). The first send past the window
    // is allowed: after a switch to a smaller window it followed a true.
    const pastWindow = this.outstanding >= this.window;
    if (!pastWindow) this.overrunBytes = 0;
    else if (this.overrunBytes >= this.window || (this.overrunBytes > 0 && this.outstanding >= 2 * this.window)) throw this.overrun(this.overrunBytes);
    // The sequence number is taken only once the write succeeded: a refused
    // message (a cycle, too many handles, too large) must not leave a gap.
    this.writing = true;
    try {
      const charge = this.outlet.write(value, this.seq + 1);
      this.outstanding += charge;
      if (pastWindow) this.overrunBytes += charge;
      this.seq++;
    } finally {
      this.writing = false;
      this.sendWaiting();
    }
    return this.outstanding < this.window && this.held.length === 0;
  }

  /** A send from inside another's encoding: encoded now (snapshot), written after it. */
  private sendReentered(value: T): boolean {
    // Channel ends move only when their message is written, so such a value waits as it is.
    if (this.neverHold) this.reentered.push(value);
    else this.hold(this.outlet.encodeDetached(value));
    return false;
  }

  /** Keeps an encoded message until the window has room; a caller ignoring `false` hits a bound. */
  private hold(body: Uint8Array): void {
    if (this.heldBytes + body.length > heldLimit(this.window)) throw this.overrun(this.heldBytes);
    this.held.push(body);
    this.heldBytes += body.length;
  }

  private overrun(bytes: number): ResourceLimitError {
    return new ResourceLimitError(
      "window",
      `send() was called on after it returned false: ${bytes} bytes wait beyond the window of ${this.window} bytes; await ready() first`,
    );
  }

  /** After a write: what was sent from inside it goes out now (held bytes as the window allows). */
  private sendWaiting(): void {
    if (this.held.length > 0) this.credit(0);
    while (this.reentered.length > 0 && this.gone === undefined) this.send(this.reentered.shift()!);
  }

  /** Resolves when send() would return true again. */
  ready(options?: WaitOptions): Promise<void> {
    if (this.gone !== undefined) return Promise.reject(this.gone);
    const early = abortedAlready("ready", options);
    if (early !== undefined) return Promise.reject(early);
    if (this.outstanding < this.window && this.held.length === 0) return Promise.resolve();
    if (this.readyWait === undefined) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => {}); // observed through the waits below
      this.readyWait = { promise, resolve, reject };
    }
    return bounded("ready", this.readyWait.promise, options);
  }

  /** The receiver consumed `bytes`; send what was held back. */
  credit(bytes: number): void {
    this.outstanding -= bytes;
    while (this.held.length > 0 && this.outstanding < this.window && this.gone === undefined && !this.writing) {
      this.outstanding += this.outlet.writeEncoded(this.held[0]!, this.seq + 1);
      this.heldBytes -= this.held.shift()!.length;
      this.seq++;
    }
    if (this.held.length === 0) {
      if (this.closeRequested && this.refs === 0) this.finish();
      if (this.outstanding < this.window) {
        // ready(): sending may go on, so what was sent past the window before is forgiven.
        this.overrunBytes = 0;
        this.settleReady();
      }
    }
  }

  /** The receiver is gone: every later send fails with this reason. */
  markGone(reason: EndReason, cause?: unknown): void {
    if (this.gone !== undefined) return;
    this.gone = new ReceiverGoneError(reason, cause === undefined ? undefined : { cause });
    this.held = [];
    this.heldBytes = 0;
    // Heard through another path (a route it handed off): the route it sends on now ends too.
    this.outlet.close(this.seq);
    this.settleReady(this.gone);
    for (const watch of this.goneWatchers.splice(0)) watch(this.gone);
  }

  /** Resolves when the receiver goes away (closed, its process gone). */
  whenGone(): Promise<ReceiverGoneError> {
    if (this.gone !== undefined) return Promise.resolve(this.gone);
    return new Promise((resolve) => this.goneWatchers.push(resolve));
  }

  retain(): void {
    this.refs++;
  }

  /** One handle closed; the last one closes the route once held messages are out. */
  release(): void {
    if (--this.refs > 0) return;
    this.closeRequested = true;
    if (this.held.length === 0 || this.gone !== undefined) this.finish();
  }

  flush(): Promise<void> {
    return this.outlet.flush();
  }

  private finish(): void {
    this.closeRequested = false;
    if (this.gone === undefined) this.outlet.close(this.seq, this.cloneLost);
    this.settleReady(new EndpointClosedError("sender was closed"));
  }

  private settleReady(err?: unknown): void {
    const wait = this.readyWait;
    if (wait === undefined) return;
    this.readyWait = undefined;
    if (err === undefined) wait.resolve();
    else wait.reject(err);
  }
}
