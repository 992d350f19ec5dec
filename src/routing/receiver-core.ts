// The receiving end of a channel: a FIFO of decoded messages fed by streams
// (one per sender core, local or remote). Queued messages are delivered
// before DisconnectedError; consuming a message returns flow-control credit
// through the route it came by. A receiver can move to another process: its
// queue and streams are then forwarded there (see src/routing/).
import { DisconnectedError, EndpointClosedError, EndpointMovedError, InvalidArgumentError, type EndReason } from "../errors.js";
import type { GlobalKey } from "./keys.js";
import type { ChannelType } from "../codec/channel-type.js";
import type { Arrival, Completable, StreamIn, StreamSink } from "./stream.js";
import { abortedAlready, waitFor, type WaitOptions } from "../ends/wait.js";
import type { ReceiverPort } from "../ends/receiver.js";

interface Waiter<T> {
  /** 0 for recv(), the batch limit for recvMany(). */
  readonly max: number;
  readonly resolve: (value: T & T[]) => void;
  readonly reject: (err: unknown) => void;
}

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
  private waiters: Waiter<T>[] = [];
  private wakeScheduled = false;
  private abnormal: { reason: EndReason; cause: unknown } | undefined;
  /** Global name, given when the receiver is first reachable from another process. */
  port: GlobalKey | undefined;
  private state: ReceiverPortState = "receiving";
  /** Called when an event may interest a receiver set. */
  onEvent: (() => void) | undefined;
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

  /** True once every stream has ended and none is expected: nothing more can arrive. */
  /** A stream of it ended other than cleanly: it will report that when it disconnects. */
  get lostStream(): boolean {
    return this.abnormal !== undefined;
  }

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
    this.notify();
  }

  streamEnded(stream: StreamIn<T>, reason: EndReason, cause: unknown): void {
    if (this.streams.get(stream.key.id) !== stream) return;
    this.streams.delete(stream.key.id);
    if (reason !== "closed" && this.abnormal === undefined) this.abnormal = { reason, cause };
    if (this.disconnected) this.finished();
  }

  private finished(): void {
    this.wake();
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

  tryRecv(): T | undefined {
    this.checkUsable();
    if (this.queued > 0) return this.take();
    if (this.disconnected) throw this.endError();
    return undefined;
  }

  recv(options?: WaitOptions): Promise<T> {
    return this.wait(0, options) as Promise<T>;
  }

  recvMany(max: number, options?: WaitOptions): Promise<T[]> {
    if (!(max >= 1)) throw new InvalidArgumentError(`recvMany: max must be >= 1, got ${max}`);
    return this.wait(max, options) as Promise<T[]>;
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
    this.rejectWaiters(new EndpointClosedError(`${this.label} was closed`));
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
    this.rejectWaiters(new EndpointMovedError(`${this.label} was moved to another process`));
    return queued;
  }

  /** Whether receive() would return at once (a message or the disconnection). */
  get ready(): boolean {
    return this.queued > 0 || this.disconnected;
  }

  endError(): DisconnectedError {
    const a = this.abnormal;
    return a === undefined ? new DisconnectedError() : new DisconnectedError(a.reason, { cause: a.cause });
  }

  private notify(): void {
    this.onEvent?.();
    // Wake waiters once per turn, after the whole received chunk is queued.
    if (this.waiters.length > 0 && !this.wakeScheduled) {
      this.wakeScheduled = true;
      queueMicrotask(() => this.wake());
    }
  }

  private wait(max: number, options?: WaitOptions): Promise<T | T[]> {
    if (this.closed || this.moved) {
      return Promise.reject(this.moved ? this.movedError() : new EndpointClosedError(`${this.label} was closed`));
    }
    const early = abortedAlready(max === 0 ? "recv" : "recvMany", options);
    if (early !== undefined) return Promise.reject(early);
    if (this.waiters.length === 0) {
      if (this.queued > 0) return Promise.resolve(max === 0 ? this.take() : this.takeMany(max));
      if (this.disconnected) return Promise.reject(this.endError());
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

  private wake(): void {
    this.wakeScheduled = false;
    if (this.disconnected) this.onEvent?.();
    while (this.waiters.length > 0) {
      if (this.queued > 0) {
        const w = this.waiters.shift()!;
        w.resolve((w.max === 0 ? this.take() : this.takeMany(w.max)) as T & T[]);
      } else if (this.disconnected) {
        this.rejectWaiters(this.endError());
      } else {
        return;
      }
    }
  }

  private rejectWaiters(err: Error): void {
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  private take(): T {
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

  private takeMany(max: number): T[] {
    const n = Math.min(max, this.queued);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = this.take();
    return out;
  }

  private movedError(): EndpointMovedError {
    return new EndpointMovedError(`${this.label} was moved to another process; use the receiver there`);
  }

  private checkUsable(): void {
    if (this.moved) throw this.movedError();
    if (this.closed) throw new EndpointClosedError(`${this.label} was closed`);
  }
}

function closeAll(handles: readonly { close(): void }[] | undefined): void {
  if (handles !== undefined) for (const h of handles) h.close();
}
