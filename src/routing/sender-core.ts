// The sending end of a channel. Clones share one SenderCore (one route, one
// sequence); the route closes when the last clone closes. Flow control is a
// byte window: send() returns false once the receiver holds `window` bytes it
// has not consumed, and Sender.ready() resolves when it has room again. Sends past
// that point are encoded at once (the value is snapshotted) and held here.
// The core holds no promises: it reports room, loss and closing through one
// status callback, and the Sender facades do the waiting.
import { ReceiverGoneError, ResourceLimitError, type EndReason } from "../errors.js";
import { heldLimit } from "./defaults.js";
import type { GlobalKey } from "./keys.js";
import type { ChannelType } from "../codec/channel-type.js";
import type { SenderPort } from "../ends/sender.js";

/** Where a sender's messages go: a local receiver or a remote route. */
export interface Outlet<T> {
  readonly channel: ChannelType<T>;
  /** The receiver this outlet leads to (assigning it a global name if it has none). */
  port(): GlobalKey;
  /** Encodes and transmits `value` as message `seq`; returns its window charge. */
  write(value: T, seq: number | SeqSource): number;
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

/**
 * Hands out a stream's next sequence number once a message is encoded and
 * about to be written: a send that began inside another's encoding (a getter
 * the codec reads sends on a clone) completes first and so comes first.
 */
export interface SeqSource {
  takeSeq(): number;
}

/** The sequence number a write uses: fixed (a proxy forwarding), or taken at the last moment. */
export function seqOf(seq: number | SeqSource): number {
  return typeof seq === "number" ? seq : seq.takeSeq();
}

/**
 * A sender stream's state: `open` while a handle to it is; `closing` once the
 * last handle closed and held-back messages are still going out; `closed` once
 * its CLOSE is written (or its receiver was gone: see `gone`).
 */
export type SenderStreamState = "open" | "closing" | "closed";

export class SenderCore<T> implements SenderPort<T>, SeqSource {
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
  private state: SenderStreamState = "open";
  gone: ReceiverGoneError | undefined;
  onStatus: (() => void) | undefined;
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

  get hasRoom(): boolean {
    return this.outstanding < this.window && this.held.length === 0;
  }

  get closed(): boolean {
    return this.state === "closed";
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
   * Sequence numbers follow the order in which sends complete: the number is
   * taken once the message is encoded (see SeqSource), so a refused message
   * (a cycle, too many handles, too large) leaves no gap, and a send made
   * from inside another's encoding (a getter the codec reads sends on a
   * clone) is written at once and comes first — the link keeps the frame
   * under way apart.
   */
  send(value: T): boolean {
    if (this.gone !== undefined) throw this.gone;
    const outer = !this.writing;
    if (outer && (this.outstanding >= this.window || this.held.length > 0) && !this.neverHold) {
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
    else if (outer && (this.overrunBytes >= this.window || (this.overrunBytes > 0 && this.outstanding >= 2 * this.window)))
      throw this.overrun(this.overrunBytes);
    this.writing = true;
    try {
      const charge = this.outlet.write(value, this);
      this.outstanding += charge;
      if (pastWindow) this.overrunBytes += charge;
      // A send that began below the window but crossed it (a handle's charge is large) returned
      // false: what it put past the window counts, or the next send could reach 2·window.
      else if (this.outstanding > this.window) this.overrunBytes = this.outstanding - this.window;
    } finally {
      if (outer) {
        this.writing = false;
        if (this.held.length > 0) this.credit(0);
      }
    }
    return this.hasRoom;
  }

  takeSeq(): number {
    return ++this.seq;
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

  /** The receiver consumed `bytes`; send what was held back. */
  credit(bytes: number): void {
    this.outstanding -= bytes;
    while (this.held.length > 0 && this.outstanding < this.window && this.gone === undefined && !this.writing) {
      this.outstanding += this.outlet.writeEncoded(this.held[0]!, this.seq + 1);
      this.heldBytes -= this.held.shift()!.length;
      this.seq++;
    }
    if (this.held.length === 0) {
      if (this.state === "closing") this.finish();
      if (this.outstanding < this.window) {
        // ready(): sending may go on, so what was sent past the window before is forgiven.
        this.overrunBytes = 0;
        this.onStatus?.();
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
    this.onStatus?.();
  }

  retain(): void {
    this.refs++;
  }

  /** One handle closed; the last one closes the route once held messages are out. */
  release(): void {
    if (--this.refs > 0) return;
    this.state = "closing";
    if (this.held.length === 0 || this.gone !== undefined) this.finish();
  }

  flush(): Promise<void> {
    return this.outlet.flush();
  }

  private finish(): void {
    this.state = "closed";
    if (this.gone === undefined) this.outlet.close(this.seq, this.cloneLost);
    this.onStatus?.();
  }
}
