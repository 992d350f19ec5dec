// A set of receivers waited on together (ipc-channel's IpcReceiverSet).
// select() resolves with every event available: messages tagged with the id
// of the receiver they came from, and each receiver's disconnection, which is
// reported exactly once (the receiver then leaves the set).
import { EndpointClosedError } from "../errors.js";
import type { Receiver, ReceiverPort } from "./receiver.js";
import { abortedAlready, waitFor, type WaitOptions } from "./wait.js";

export type Selection<T> =
  | { readonly kind: "message"; readonly id: number; readonly value: T }
  | { readonly kind: "closed"; readonly id: number };

export class ReceiverSet<T = unknown> implements Disposable {
  private readonly members = new Map<number, ReceiverPort<T>>();
  private nextId = 1;
  private wakeUp: (() => void) | undefined;
  /** Rejects the select() under way (the set was closed). */
  private stopWaiting: ((err: unknown) => void) | undefined;
  private closed = false;

  /** Takes over `receiver` (the handle becomes unusable) and returns its id in the set. */
  add(receiver: Receiver<T>): number {
    if (this.closed) throw new EndpointClosedError("receiver set was closed");
    const core = receiver.handOver();
    const id = this.nextId++;
    this.members.set(id, core);
    core.onStatus = () => this.wakeUp?.();
    this.wakeUp?.(); // it may hold messages already
    return id;
  }

  get size(): number {
    return this.members.size;
  }

  /** Every event available now (possibly none). */
  trySelect(): Selection<T>[] {
    const out: Selection<T>[] = [];
    for (const [id, core] of this.members) {
      while (core.queued > 0) out.push({ kind: "message", id, value: core.take() });
      if (core.disconnected) {
        out.push({ kind: "closed", id });
        this.members.delete(id);
        core.onStatus = undefined;
        core.close();
      }
    }
    return out;
  }

  /**
   * Waits until at least one event is available and returns all of them. An
   * empty set waits too (a receiver may be added meanwhile), until the
   * timeout or the signal.
   */
  select(options?: WaitOptions): Promise<Selection<T>[]> {
    if (this.closed) return Promise.reject(new EndpointClosedError("receiver set was closed"));
    const early = abortedAlready("select", options);
    if (early !== undefined) return Promise.reject(early);
    const ready = this.trySelect();
    if (ready.length > 0) return Promise.resolve(ready);
    return waitFor<Selection<T>[]>("select", options, (resolve, reject) => {
      const done = () => {
        this.wakeUp = undefined;
        this.stopWaiting = undefined;
      };
      this.wakeUp = () => {
        const events = this.trySelect();
        if (events.length === 0) return;
        done();
        resolve(events);
      };
      this.stopWaiting = (err) => {
        done();
        reject(err);
      };
      return done;
    });
  }

  /** Closes every receiver in the set. */
  close(): void {
    this.closed = true;
    const stop = this.stopWaiting;
    this.wakeUp = this.stopWaiting = undefined;
    stop?.(new EndpointClosedError("receiver set was closed"));
    for (const core of this.members.values()) core.close();
    this.members.clear();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
