// The receiving end of a channel: a FIFO of decoded messages fed by streams
// (one per sender core, local or remote). Queued messages are delivered
// before DisconnectedError; consuming a message returns flow-control credit
// through the route it came by. A receiver can move to another process: its
// queue and streams are then forwarded there (see src/routing/). It holds no
// promises or timers: its Receiver (or ReceiverSet) waits, woken by onStatus.
import { DisconnectedError, EndpointClosedError, EndpointMovedError, type EndReason } from "../errors.js";
import type { GlobalKey } from "./keys.js";
import type { ChannelType } from "../codec/channel-type.js";
import type { Arrival, Completable, StreamIn, StreamSink } from "./stream.js";
import type { ReceiverPort } from "../ends/receiver.js";

/**
 * A receiver port's state: `receiving` (its user takes messages; it may still
 * expect streams a move promised, see pendingOpens), `moved` (a shell: its queue
 * and streams went to another process) or `closed` (by its user).
 */
export type ReceiverPortState = "receiving" | "moved" | "closed";

export class ReceiverCore<T> implements ReceiverPort<T>, StreamSink<T>, Completable {
  private queue: Arrival<T>[] = [];
  private head = 0;
  /** Streams feeding this receiver, by stream key. */
  readonly streams = new Map<string, StreamIn<T>>();
  /** Streams of a move that brought it here, not opened yet (they follow the message that carried it). */
  pendingOpens = 0;
  private completion: (() => void)[] = [];
  private abnormal: { reason: EndReason; cause: unknown } | undefined;
  /** Global name, given when the receiver is first reachable from another process. */
  port: GlobalKey | undefined;
  private state: ReceiverPortState = "receiving";
  /** Called when messages arrived or it disconnected, moved or closed (see ReceiverPort). */
  onStatus: (() => void) | undefined;
  /** Called once when nothing more can arrive (closed, or every stream ended): the router forgets it. */
  onFinished: (() => void) | undefined;

  constructor(readonly type: ChannelType<T>) {}

  get closed(): boolean {
    return this.state === "closed";
  }

  get moved(): boolean {
    return this.state === "moved";
  }

  get label(): string {
    return `receiver of ${this.type.typeName}`;
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  /** A stream of it ended other than cleanly: it will report that when it disconnects. */
  get lostStream(): boolean {
    return this.abnormal !== undefined;
  }

  /** True once every stream has ended and none is expected: nothing more can arrive. */
  get disconnected(): boolean {
    return this.streams.size === 0 && this.pendingOpens === 0;
  }

  /** Every stream its move promised has been opened (or will never be). */
  get complete(): boolean {
    return this.pendingOpens === 0 || this.closed;
  }

  whenComplete(then: () => void): void {
    if (this.complete) then();
    else this.completion.push(then);
  }

  /** One promised stream was opened. */
  opened(): void {
    if (this.pendingOpens > 0 && --this.pendingOpens === 0) this.completed();
  }

  private completed(): void {
    for (const then of this.completion.splice(0)) then();
  }

  addStream(stream: StreamIn<T>): void {
    this.streams.set(stream.key.id, stream);
  }

  deliver(a: Arrival<T>): void {
    if (this.closed) {
      a.via.consumed(a.size);
      closeAll(a.handles);
      return;
    }
    this.queue.push(a);
    this.onStatus?.();
  }

  streamEnded(stream: StreamIn<T>, reason: EndReason, cause: unknown): void {
    if (this.streams.get(stream.key.id) !== stream) return;
    this.streams.delete(stream.key.id);
    if (reason !== "closed" && this.abnormal === undefined) this.abnormal = { reason, cause };
    if (this.disconnected) this.finished();
  }

  private finished(): void {
    this.onStatus?.();
    const done = this.onFinished;
    this.onFinished = undefined;
    done?.();
  }

  /** An expected stream will never be opened (its link was lost). */
  expectationLost(reason: EndReason, cause: unknown): void {
    if (this.pendingOpens === 0) return;
    this.pendingOpens--;
    if (this.abnormal === undefined) this.abnormal = { reason, cause };
    if (this.pendingOpens === 0) this.completed();
    if (this.disconnected) this.finished();
  }

  close(): void {
    if (this.state !== "receiving") return;
    this.state = "closed";
    for (const stream of this.streams.values()) {
      for (const route of [...stream.routes]) route.receiverGone(false);
      stream.dropHeld();
    }
    this.streams.clear();
    // Dropped messages still return their credit (a proxy upstream relays it) and release their handles.
    for (let i = this.head; i < this.queue.length; i++) {
      const a = this.queue[i]!;
      a.via.consumed(a.size);
      closeAll(a.handles);
    }
    this.queue = [];
    this.head = 0;
    this.completed();
    this.finished();
  }

  /** The streams a move must carry: those still open, and ended ones with messages queued. */
  movingStreams(): Set<StreamIn<T>> {
    const moving = new Set(this.streams.values());
    for (let i = this.head; i < this.queue.length; i++) moving.add(this.queue[i]!.stream);
    return moving;
  }

  /** Hands the queue over for forwarding; the core is then a shell. */
  moveOut(): Arrival<T>[] {
    this.checkUsable();
    this.state = "moved";
    const queued = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    this.onStatus?.();
    return queued;
  }

  endError(): DisconnectedError {
    const a = this.abnormal;
    return a === undefined ? new DisconnectedError() : new DisconnectedError(a.reason, { cause: a.cause });
  }

  /** The next queued message (queued > 0); its bytes go back as credit. */
  take(): T {
    const a = this.queue[this.head++]!;
    a.via.consumed(a.size);
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return a.value;
  }

  private checkUsable(): void {
    if (this.moved) throw new EndpointMovedError(`${this.label} was moved to another process`);
    if (this.closed) throw new EndpointClosedError(`${this.label} was closed`);
  }
}

function closeAll(handles: readonly { close(): void }[] | undefined): void {
  if (handles !== undefined) for (const h of handles) h.close();
}
