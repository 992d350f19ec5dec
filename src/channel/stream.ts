// One sender's stream into a receiver. Messages carry per-stream sequence
// numbers; a stream may arrive over several routes at once while a proxy is
// being removed, so it delivers strictly in sequence order, holding early
// arrivals back. Its output (sink) is the receiver's queue, or, once the
// receiver has moved away, a forwarder toward the receiver's new process.
import { ProtocolError, type EndReason } from "../errors.js";
import type { GlobalKey } from "../router/keys.js";

/** Where the bytes of a message are returned as flow-control credit. */
export interface CreditTarget {
  consumed(bytes: number): void;
}

/** Something that must be released if the message is dropped (handles it carried). */
export interface Closable {
  close(): void;
}

export interface Arrival<T> {
  readonly value: T;
  readonly size: number;
  readonly seq: number;
  readonly via: CreditTarget;
  readonly stream: StreamIn<T>;
  readonly handles: readonly Closable[] | undefined;
}

/** A route feeding a stream: told when the receiver goes away. */
export interface FeedingRoute {
  receiverGone(lost: boolean): void;
}

export interface StreamSink<T> {
  deliver(a: Arrival<T>): void;
  streamEnded(stream: StreamIn<T>, reason: EndReason, cause: unknown): void;
  /** The stream's sender went on elsewhere (only a proxy's sink cares). */
  handedOff?(stream: StreamIn<T>, target: Uint8Array): void;
}

/** Early arrivals held per stream before it is a protocol error. */
const MAX_EARLY = 1 << 16;

export class StreamIn<T> {
  /** The next sequence number to deliver; undefined until the stream's base is known. */
  next: number | undefined;
  private final: number | undefined;
  /** How the stream ended (or will, once its last message arrives). */
  endReason: EndReason = "closed";
  private endCause: unknown;
  private readonly early = new Map<number, Arrival<T>>();
  readonly routes = new Set<FeedingRoute>();
  /** Continuations announced by HANDOFF minus those opened: may dip below 0 briefly. */
  continuations = 0;
  ended = false;

  constructor(
    readonly key: GlobalKey,
    public sink: StreamSink<T>,
    base?: number,
  ) {
    this.next = base;
  }

  setBase(seq: number): void {
    if (this.next !== undefined) throw new ProtocolError(`stream ${this.key.id}: started twice`);
    this.next = seq;
    this.drain();
  }

  accept(a: Arrival<T>): void {
    if (this.ended) return;
    if (this.next === a.seq) {
      this.next++;
      this.sink.deliver(a);
      if (this.early.size > 0) this.drain();
      else if (this.final !== undefined) this.checkEnd();
    } else if (this.next !== undefined && a.seq < this.next) {
      throw new ProtocolError(`stream ${this.key.id}: message ${a.seq} delivered twice`);
    } else {
      if (this.early.has(a.seq)) throw new ProtocolError(`stream ${this.key.id}: message ${a.seq} arrived twice`);
      if (this.early.size >= MAX_EARLY) throw new ProtocolError(`stream ${this.key.id}: too many messages out of order`);
      this.early.set(a.seq, a);
    }
  }

  /** No message after `lastSeq`; the stream ends once it is delivered. */
  finish(lastSeq: number, reason: EndReason = "closed", cause?: unknown): void {
    this.final = lastSeq;
    this.endReason = reason;
    this.endCause = cause;
    this.checkEnd();
  }

  /** Arrivals held back waiting for an earlier one; they are dropped. */
  dropEarly(): Arrival<T>[] {
    const dropped = [...this.early.values()];
    this.early.clear();
    return dropped;
  }

  /** The route that carried the stream here handed it off to `target`. */
  handedOff(target: Uint8Array, self: boolean): void {
    if (self) this.continuations++;
    else this.sink.handedOff?.(this, target);
  }

  /** Ends now, whatever is outstanding (a route carrying it was lost). */
  abort(reason: EndReason, cause: unknown): void {
    this.final = undefined;
    this.end(reason, cause);
  }

  /** The sequence number of the last message delivered (or forwarded). */
  get delivered(): number {
    return (this.next ?? 1) - 1;
  }

  private drain(): void {
    let a: Arrival<T> | undefined;
    while (this.next !== undefined && (a = this.early.get(this.next)) !== undefined) {
      this.early.delete(this.next);
      this.next++;
      this.sink.deliver(a);
    }
    this.checkEnd();
  }

  private checkEnd(): void {
    if (this.final !== undefined && this.next !== undefined && this.next > this.final) {
      this.end(this.endReason, this.endCause);
    }
  }

  private end(reason: EndReason, cause: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.early.clear();
    this.sink.streamEnded(this, reason, cause);
  }
}
