// Routes: one stream's hop over one link (or inside one process).
//   OutRoute  — the sending side: writes MESSAGEs, takes CREDIT/GONE/REDIRECT.
//   InRoute   — the receiving side: checks and decodes MESSAGEs into a stream.
//   LocalRoute — a sender and its receiver in the same process.
// A route's owner is the stream's origin (a SenderCore) or a Forwarder (a
// proxy left behind by a receiver that moved).
import { ProtocolError, type EndReason, type ProtochanError } from "../errors.js";
import type { ChannelType } from "../channel/channel-type.js";
import { windowCharge } from "../channel/defaults.js";
import type { Outlet } from "../channel/sender.js";
import type { Arrival, Closable, CreditTarget, FeedingRoute, StreamIn } from "../channel/stream.js";
import type { ReceiverCore } from "../channel/receiver.js";
import { Kind, splitTypeId, type FrameHeader, type TypeIdHalves } from "../wire/header.js";
import { ByteWriter } from "../wire/byte-writer.js";
import { encodeOpen, type NodeAddress } from "./bodies.js";
import { importHandles, localHandles } from "./handles.js";
import type { StreamSink } from "../channel/stream.js";
import type { GlobalKey } from "./keys.js";
import type { Link } from "./link.js";

/** Largest credit step, in bytes. */
const CREDIT_STEP = 64 * 1024;

/** Flag on CLOSE and GONE: the far end was lost, not closed. */
export const FLAG_LOST = 1;

/** Whoever sends on an OutRoute: a stream's origin or a proxy. */
export interface RouteOwner<T> {
  readonly lastSeq: number;
  credit(bytes: number): void;
  markGone(reason: EndReason, cause?: unknown): void;
  rebind(outlet: Outlet<T>, window: number, target: Uint8Array): void;
}

export class OutRoute<T> implements Outlet<T> {
  readonly id: number;
  /** Charged bytes sent on this route and not yet credited. */
  private outstanding = 0;
  private handedOff = false;
  private open = true;
  owner!: RouteOwner<T>;

  constructor(
    readonly link: Link,
    readonly channel: ChannelType<T>,
    private readonly portKey: GlobalKey,
    stream: GlobalKey,
    firstSeq: number,
    base: boolean,
    /** The bootstrap route exists without an OPEN. */
    presetId?: number,
  ) {
    this.id = presetId ?? link.allocRouteId();
    link.outbound.set(this.id, this as OutRoute<unknown>);
    link.routeStarted();
    if (presetId === undefined) {
      link.writeFrame(Kind.Open, this.id, 0, encodeOpen({ stream, base, firstSeq, port: portKey }), 0, channel.typeId);
    }
  }

  port(): GlobalKey {
    return this.portKey;
  }

  write(value: T, seq: number): number {
    if (this.link.failure !== undefined) {
      // The connection just died: the message is lost with it, and the sender learns it.
      this.owner.markGone("connection-lost", this.link.failure);
      return 0;
    }
    const charge = windowCharge(this.link.writeMessage(this.id, seq, this.channel, value, { owner: this.owner, port: this.portKey }));
    this.outstanding += charge;
    return charge;
  }

  encodeDetached(value: T): Uint8Array {
    return encodeAlone(this.channel, value);
  }

  /** A message held back by flow control: its bytes go out as they are. */
  writeEncoded(body: Uint8Array, seq: number): number {
    if (this.link.failure !== undefined) {
      this.owner.markGone("connection-lost", this.link.failure);
      return 0;
    }
    const charge = windowCharge(this.link.writeBody(this.id, seq, this.channel, body));
    this.outstanding += charge;
    return charge;
  }

  close(lastSeq: number, lost = false): void {
    if (!this.open) return;
    this.link.writeFrame(Kind.Close, this.id, lastSeq, undefined, lost ? FLAG_LOST : 0);
    this.remove();
  }

  /** Tells the receiver one more stream will be opened to it (see Router.announceSender). */
  announce(origin: Uint8Array): void {
    if (this.open && !this.handedOff) this.link.writeFrame(Kind.Announce, this.id, 0, origin);
  }

  handoff(lastSeq: number, target: Uint8Array): void {
    if (!this.open || this.handedOff) return;
    this.link.writeFrame(Kind.Handoff, this.id, lastSeq, target);
    this.handedOff = true;
    if (this.outstanding <= 0) this.remove();
  }

  flush(): Promise<void> {
    return this.link.router.io?.flushed(this.link) ?? Promise.resolve();
  }

  onCredit(bytes: number): void {
    this.outstanding -= bytes;
    this.owner.credit(bytes);
    if (this.handedOff && this.outstanding <= 0) this.remove();
  }

  onGone(lost: boolean): void {
    if (!this.open) return;
    this.remove();
    // Nothing sent here will be consumed now: release what it still holds.
    if (this.handedOff) this.owner.credit(this.outstanding);
    else this.owner.markGone(lost ? "connection-lost" : "closed");
  }

  onRedirect(address: NodeAddress): void {
    if (this.open && !this.handedOff) this.link.router.redirect(this.owner, this.channel, this.portKey, address);
  }

  onLinkLost(reason: EndReason, err: ProtochanError | undefined): void {
    if (!this.open) return;
    this.open = false;
    // After a handoff the stream lives on elsewhere; credit still owed here never comes.
    if (this.handedOff) this.owner.credit(this.outstanding);
    else this.owner.markGone(reason, err);
  }

  private remove(): void {
    this.open = false;
    this.link.outbound.delete(this.id);
    this.link.routeEnded();
  }
}

/** Encodes a value into bytes of its own (no handles: such messages are never held back). */
function encodeAlone<T>(channel: ChannelType<T>, value: T): Uint8Array {
  const w = new ByteWriter(256);
  channel.codec.encode(value, w);
  return w.take();
}

export class InRoute<T> implements FeedingRoute, CreditTarget {
  /** Charged bytes received and not yet returned as CREDIT. */
  private inFlight = 0;
  private pendingCredit = 0;
  /** Undefined on a continuation route until its first message. */
  private nextSeq: number | undefined;
  private readonly type: TypeIdHalves;
  private handedOff = false;
  private open = true;

  constructor(
    readonly link: Link,
    readonly id: number,
    readonly stream: StreamIn<T>,
    private readonly channel: ChannelType<T>,
    firstSeq: number | undefined,
  ) {
    this.type = channel.wireType;
    this.nextSeq = firstSeq;
    link.inbound.set(id, this as InRoute<unknown>);
    link.routeStarted();
    stream.routes.add(this);
  }

  get isOpen(): boolean {
    return this.open;
  }

  onMessage(h: FrameHeader, handles: Uint8Array, body: Uint8Array): void {
    if (h.typeLo !== this.type.lo || h.typeHi !== this.type.hi) {
      throw new ProtocolError(`route ${this.id} carries ${this.channel.typeName} but the peer sent another message type`);
    }
    if (this.nextSeq !== undefined && h.seq !== this.nextSeq) {
      throw new ProtocolError(`route ${this.id}: message ${h.seq} out of sequence (expected ${this.nextSeq})`);
    }
    // Twice the window: a proxy may forward a full window while its origin starts another.
    if (this.inFlight >= 2 * this.link.recvWindow) {
      throw new ProtocolError(`route ${this.id}: peer ignored flow control (${this.inFlight} bytes unconsumed)`);
    }
    this.nextSeq = h.seq + 1;
    const imported = h.handleCount === 0 ? undefined : importHandles(this.link, handles, h.handleCount);
    let value: T;
    try {
      value = this.channel.codec.decode(body, imported);
    } catch (err) {
      imported?.closeAll();
      if (err instanceof ProtocolError) throw err;
      throw new ProtocolError(
        `route ${this.id}: cannot decode ${this.channel.typeName}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    const charge = windowCharge(body.length);
    this.inFlight += charge;
    this.stream.accept({ value, size: charge, seq: h.seq, via: this, stream: this.stream, handles: imported?.finish() });
  }

  onClose(lastSeq: number, lost: boolean): void {
    this.checkLast(lastSeq, "closed");
    this.detach();
    this.flushCredit();
    this.stream.finish(lastSeq, lost ? "connection-lost" : "closed");
  }

  onHandoff(lastSeq: number, target: Uint8Array): void {
    this.checkLast(lastSeq, "handed off");
    this.handedOff = true;
    this.detach();
    this.flushCredit();
    this.stream.handedOff(target, Buffer.compare(target, this.link.router.node) === 0);
  }

  consumed(bytes: number): void {
    this.pendingCredit += bytes;
    // Credit in steps of at most a quarter window (or 64 KiB, so the sender
    // keeps the socket topped up instead of working in bursts). Never
    // deadlocks: a blocked sender has a full window outstanding, and so at
    // least a step's worth comes back once everything is consumed.
    // A route that closed or handed off owes its credit at once: a proxy upstream relays it.
    if (this.pendingCredit >= Math.min(this.link.recvWindow / 4, CREDIT_STEP) || !this.open) this.flushCredit();
  }

  receiverGone(lost: boolean): void {
    if (!this.open) return;
    this.link.writeFrame(Kind.Gone, this.id, 0, undefined, lost ? FLAG_LOST : 0);
    this.detach();
  }

  onLinkLost(reason: EndReason, err: ProtochanError | undefined): void {
    if (!this.open) return;
    this.open = false;
    this.stream.routes.delete(this);
    this.stream.abort(reason, err);
  }

  private checkLast(lastSeq: number, what: string): void {
    const last = this.nextSeq === undefined ? lastSeq : this.nextSeq - 1;
    if (lastSeq !== last) throw new ProtocolError(`route ${this.id}: ${what} after message ${lastSeq} but ${last} arrived`);
  }

  private flushCredit(): void {
    if (this.pendingCredit === 0 || this.link.failure !== undefined) return;
    this.link.writeFrame(Kind.Credit, this.id, this.pendingCredit);
    this.inFlight -= this.pendingCredit;
    this.pendingCredit = 0;
  }

  private detach(): void {
    if (!this.open) return;
    this.open = false;
    this.stream.routes.delete(this);
    this.link.inbound.delete(this.id);
    this.link.routeEnded();
  }
}

/** A sender and a receiver (or a proxy) in the same process. */
export class LocalRoute<T> implements Outlet<T>, FeedingRoute, CreditTarget {
  private readonly scratch = new ByteWriter();
  owner!: RouteOwner<T>;

  constructor(
    readonly channel: ChannelType<T>,
    readonly stream: StreamIn<T>,
    readonly receiver: ReceiverCore<T>,
  ) {
    stream.routes.add(this);
  }

  port(): GlobalKey {
    return this.receiver.port!;
  }

  write(value: T, seq: number): number {
    const handles = localHandles(this.owner, this.receiver as ReceiverCore<unknown>);
    const w = this.scratch;
    try {
      this.channel.codec.encode(value, w, handles.encoder);
    } catch (err) {
      w.pos = 0;
      throw err;
    }
    handles.commit();
    // take() hands out a region that is never written again, so the decoded
    // value may keep views into it.
    const body = w.take();
    const charge = windowCharge(body.length);
    const copy = this.channel.codec.decode(body, handles.decoder);
    this.stream.accept({ value: copy, size: charge, seq, via: this, stream: this.stream, handles: handles.decoder.finish() });
    return charge;
  }

  encodeDetached(value: T): Uint8Array {
    return encodeAlone(this.channel, value);
  }

  /** A message held back by flow control (it carries no handles): decoded once, delivered. */
  writeEncoded(body: Uint8Array, seq: number): number {
    const charge = windowCharge(body.length);
    this.stream.accept({ value: this.channel.codec.decode(body), size: charge, seq, via: this, stream: this.stream, handles: undefined });
    return charge;
  }

  close(lastSeq: number, lost = false): void {
    this.stream.routes.delete(this);
    this.stream.finish(lastSeq, lost ? "connection-lost" : "closed");
  }

  handoff(_lastSeq: number, target: Uint8Array): void {
    this.stream.routes.delete(this);
    this.stream.handedOff(target, false);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  consumed(bytes: number): void {
    this.owner.credit(bytes);
  }

  receiverGone(lost: boolean): void {
    this.stream.routes.delete(this);
    this.owner.markGone(lost ? "connection-lost" : "closed");
  }
}

/** What a stream's proxy keeps per forwarded message, to relay credit upstream. */
interface Relay {
  readonly via: CreditTarget;
  readonly originalSize: number;
  readonly charge: number;
}

/**
 * A proxy: the receiver moved to another process, so this stream's messages
 * are forwarded there in order. Credit comes back from the new place and is
 * relayed to the routes the messages came by.
 */
export class Forwarder<T> implements StreamSink<T>, RouteOwner<T> {
  private relays: Relay[] = [];
  private relayHead = 0;
  private bank = 0;
  out: Outlet<T>;
  private retired = false;

  constructor(
    readonly stream: StreamIn<T>,
    out: OutRoute<T>,
    private readonly counters: { forwarded: number },
    private readonly onRetire: () => void,
  ) {
    this.out = out;
    out.owner = this;
  }

  get lastSeq(): number {
    return this.stream.delivered;
  }

  deliver(a: Arrival<T>): void {
    let charge: number;
    try {
      charge = this.out.write(a.value, a.seq);
    } catch (err) {
      // The next hop cannot take it (too large for it, or it is gone): for this
      // stream the receiver is gone. The error is not the upstream link's fault.
      a.via.consumed(a.size);
      if (a.handles !== undefined) for (const end of a.handles) end.close();
      this.markGone("closed", err);
      return;
    }
    this.counters.forwarded++;
    this.relays.push({ via: a.via, originalSize: a.size, charge });
    // The ends it carried went on with it (senders cloned, receivers moved): drop the copies here.
    if (a.handles !== undefined) for (const end of a.handles) end.close();
  }

  streamEnded(_stream: StreamIn<T>, reason: EndReason): void {
    this.out.close(this.stream.delivered, reason !== "closed");
    this.retire();
  }

  handedOff(_stream: StreamIn<T>, target: Uint8Array): void {
    // Upstream went on elsewhere: this hop is done once nothing else feeds it.
    if (this.stream.routes.size > 0 || this.stream.continuations > 0) return;
    this.out.handoff(this.stream.delivered, target);
    this.stream.ended = true;
    this.retire();
  }

  credit(bytes: number): void {
    this.bank += bytes;
    while (this.relayHead < this.relays.length && this.relays[this.relayHead]!.charge <= this.bank) {
      const r = this.relays[this.relayHead++]!;
      this.bank -= r.charge;
      r.via.consumed(r.originalSize);
    }
    if (this.relayHead > 1024 && this.relayHead * 2 > this.relays.length) {
      this.relays = this.relays.slice(this.relayHead);
      this.relayHead = 0;
    }
  }

  markGone(reason: EndReason, cause?: unknown): void {
    // What was forwarded will never be consumed: return its credit upstream
    // (routes already handed off hear of it only this way).
    for (let i = this.relayHead; i < this.relays.length; i++) this.relays[i]!.via.consumed(this.relays[i]!.originalSize);
    this.relays = [];
    this.relayHead = 0;
    for (const route of [...this.stream.routes]) route.receiverGone(reason !== "closed");
    this.stream.abort(reason, cause);
  }

  rebind(outlet: Outlet<T>, _window: number, target: Uint8Array): void {
    this.out.handoff(this.stream.delivered, target);
    this.out = outlet;
  }

  private retire(): void {
    if (this.retired) return;
    this.retired = true;
    this.onRetire();
  }
}
