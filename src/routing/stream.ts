// One sender's stream into a receiver. Messages carry per-stream sequence
// numbers; a stream may arrive over several routes at once while a proxy is
// being removed, so it delivers strictly in sequence order, holding early
// arrivals back. Its output (sink) is the receiver's queue, or, once the
// receiver has moved away, a forwarder toward the receiver's new process.
import { ProtocolError, type EndReason } from "../errors.js";
import type { GlobalKey } from "./keys.js";
import type { Handoff } from "./events.js";

/** Where the bytes of a message are returned as flow-control credit. */
export interface CreditTarget {
  consumed(bytes: number): void;
}

/** Something that must be released if the message is dropped (handles it carried). */
export interface Closable {
  close(): void;
}

/** A receiver that arrived in a message and whose streams are still being opened to it. */
export interface Completable {
  readonly complete: boolean;
  whenComplete(then: () => void): void;
}

export interface Arrival<T> {
  readonly value: T;
  readonly size: number;
  readonly seq: number;
  readonly via: CreditTarget;
  readonly stream: StreamIn<T>;
  readonly handles: readonly Closable[] | undefined;
  /** Receivers inside the message that are not complete yet: it is delivered once they are. */
  readonly waitFor?: readonly Completable[];
}

/** A route feeding a stream: told when the receiver goes away. */
export interface FeedingRoute {
  receiverGone(lost: boolean): void;
}

export interface StreamSink<T> {
  deliver(a: Arrival<T>): void;
  streamEnded(stream: StreamIn<T>, reason: EndReason, cause: unknown): void;
  /** The stream's sender went on elsewhere (only a proxy's sink cares). */
  handedOff?(stream: StreamIn<T>, handoff: Handoff): void;
}

export class StreamIn<T> {
  /** The next sequence number to deliver; undefined until the stream's base is known. */
  next: number | undefined;
  private final: number | undefined;
  /** How the stream ended (or will, once its last message arrives). */
  endReason: EndReason = "closed";
  private endCause: unknown;
  private readonly early = new Map<number, Arrival<T>>();
  /**
   * In sequence but not delivered yet: the head carries a receiver whose
   * streams are still being opened to it (they follow the message on the same
   * link). Nobody sees or moves a receiver before it is complete, so a move
   * never has to promise streams it does not hold yet.
   */
  private readonly inOrder: Arrival<T>[] = [];
  readonly routes = new Set<FeedingRoute>();
  /** Continuations announced by HANDOFF minus those opened: may dip below 0 briefly. */
  continuations = 0;
  /** A route handed the stream off elsewhere; the sink hears of it once in-order arrivals are out. */
  private handoff: Handoff | undefined;
  private waitingOn: Completable | undefined;
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
    // Late for a stream cut short (a route of it was lost): dropped, but its
    // credit still returned, or the link would count it unconsumed forever.
    if (this.ended) return release(a);
    if (this.next === a.seq) {
      this.next++;
      this.pass(a);
      if (this.early.size > 0) this.drain();
      else if (this.final !== undefined) this.checkEnd();
    } else if (this.next !== undefined && a.seq < this.next) {
      throw new ProtocolError(`stream ${this.key.id}: message ${a.seq} delivered twice`);
    } else {
      if (this.early.has(a.seq)) throw new ProtocolError(`stream ${this.key.id}: message ${a.seq} arrived twice`);
      // No count of its own bounds this: an early arrival is not consumed, so its
      // charge stays in its route's window (InRoute refuses more than two windows
      // unconsumed) and the sender stops. A proxy that is only slow (paused) thus
      // delays the stream instead of failing the connection.
      this.early.set(a.seq, a);
    }
  }

  /** No message after `lastSeq`; the stream ends once it is delivered. */
  finish(lastSeq: number, reason: EndReason = "closed", cause?: unknown): void {
    this.final = lastSeq;
    this.endReason = reason;
    this.endCause = cause;
    this.settle();
  }

  /** A continuation route now feeds this stream (before or after its HANDOFF arrived). */
  continuationJoined(): void {
    this.continuations--;
    this.settle();
  }

  /** A parked continuation joins another stream: everything it holds moves there. */
  takeAll(): {
    arrivals: Arrival<T>[];
    final: { seq: number; reason: EndReason } | undefined;
    continuations: number;
    handoff: Handoff | undefined;
  } {
    const arrivals = [...this.early.values()].sort((x, y) => x.seq - y.seq);
    this.early.clear();
    const final = this.final === undefined ? undefined : { seq: this.final, reason: this.endReason };
    this.final = undefined;
    this.ended = true;
    return { arrivals, final, continuations: this.continuations, handoff: this.handoff };
  }

  /** What a parked stream learnt about its routes before it joined this one (see takeAll). */
  adopt(continuations: number, handoff: Handoff | undefined): void {
    this.continuations += continuations;
    if (handoff !== undefined) this.handoff = handoff;
    this.settle();
  }

  /** Drops what is held back (early or waiting): its credit is returned and its channel ends closed. */
  dropHeld(): void {
    const dropped = [...this.early.values(), ...this.inOrder];
    this.early.clear();
    this.inOrder.length = 0;
    for (const a of dropped) release(a);
  }

  /**
   * A route that carried the stream here went away: closed (no handoff), or
   * handed off to a continuation joining here (`here`) or elsewhere.
   */
  routeLeft(handoff?: Handoff, here = false): void {
    if (here) this.continuations++;
    else if (handoff !== undefined) this.handoff = handoff;
    this.settle();
  }

  /**
   * Ends now, whatever is outstanding (a route carrying it was lost). Routes
   * still feeding it (a continuation that joined, a local sender after a
   * switch) hear GONE: what they send now would be dropped unseen.
   */
  abort(reason: EndReason, cause: unknown): void {
    this.final = undefined;
    const wasEnded = this.ended;
    this.end(reason, cause);
    if (!wasEnded) for (const route of [...this.routes]) route.receiverGone(reason !== "closed");
  }

  /** A handoff elsewhere that a route reported and the sink has not acted on yet. */
  get pendingHandoff(): Handoff | undefined {
    return this.handoff;
  }

  /** The sequence number of the last message delivered (or forwarded). */
  get delivered(): number {
    return (this.next ?? 1) - 1 - this.inOrder.length;
  }

  /** Delivers in order, waiting while the head carries an incomplete receiver. */
  private pass(a: Arrival<T>): void {
    if (this.inOrder.length > 0 || !isComplete(a)) {
      this.inOrder.push(a);
      if (this.inOrder.length === 1) this.waitForHead();
      return;
    }
    this.sink.deliver(a);
  }

  private waitForHead(): void {
    while (this.inOrder.length > 0 && !this.ended) {
      const pending = this.inOrder[0]!.waitFor?.find((c) => !c.complete);
      if (pending !== undefined) {
        if (this.waitingOn !== pending) {
          this.waitingOn = pending;
          pending.whenComplete(() => {
            this.waitingOn = undefined;
            this.waitForHead();
          });
        }
        return;
      }
      this.sink.deliver(this.inOrder.shift()!);
    }
    this.settle();
  }

  private drain(): void {
    let a: Arrival<T> | undefined;
    while (this.next !== undefined && (a = this.early.get(this.next)) !== undefined) {
      this.early.delete(this.next);
      this.next++;
      this.pass(a);
    }
    this.checkEnd();
  }

  /** After routes or waiting arrivals changed: tell a proxy of a handoff, or end. */
  private settle(): void {
    if (this.ended || this.inOrder.length > 0) return;
    if (this.handoff !== undefined && this.routes.size === 0) this.sink.handedOff?.(this, this.handoff);
    this.checkEnd();
  }

  /**
   * The stream ends once its last message is delivered and no route still
   * feeds it: a route that is being handed off may yet carry a sender
   * clone's OPEN (which travels ahead of the parent's end on the old path).
   */
  private checkEnd(): void {
    if (
      this.final !== undefined &&
      this.next !== undefined &&
      this.next > this.final &&
      this.inOrder.length === 0 &&
      this.routes.size === 0 &&
      this.continuations <= 0
    ) {
      this.end(this.endReason, this.endCause);
    }
  }

  private end(reason: EndReason, cause: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.endReason = reason;
    this.dropHeld();
    this.sink.streamEnded(this, reason, cause);
  }
}

/** A message dropped here: its credit goes back and the channel ends it carries are closed. */
function release(a: Arrival<unknown>): void {
  a.via.consumed(a.size);
  if (a.handles !== undefined) for (const end of a.handles) end.close();
}

function isComplete(a: Arrival<unknown>): boolean {
  return a.waitFor === undefined || a.waitFor.every((c) => c.complete);
}
