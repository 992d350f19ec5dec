// Routes: one stream's hop over one link (or inside one process).
//   OutRoute  — the sending side: writes MESSAGEs, takes CREDIT/GONE/REDIRECT.
//   InRoute   — the receiving side: checks and decodes MESSAGEs into a stream.
//   LocalRoute — a sender and its receiver in the same process.
// A route's owner is the stream's origin (a SenderCore) or a Forwarder (a
// proxy left behind by a receiver that moved).
import { ProtocolError, ResourceLimitError, type EndReason, type ProtochanError } from "../errors.js";
import type { ChannelType } from "../codec/channel-type.js";
import { windowCharge } from "./defaults.js";
import { SenderCore, seqOf, type Outlet, type SeqSource } from "./sender-core.js";
import type { Arrival, Closable, CreditTarget, FeedingRoute, StreamIn } from "./stream.js";
import { Receiver } from "../ends/receiver.js";
import { ReceiverCore } from "./receiver-core.js";
import { receiverCore } from "./ends.js";
import type { TypeIdHalves } from "../wire/header.js";
import { ByteWriter } from "../wire/byte-writer.js";
import type { Handoff, MessageHead, NodeAddress, Parent, HandleEntry } from "./events.js";
import { importHandles, LocalHandles } from "./handles.js";
import type { StreamSink } from "./stream.js";
import type { GlobalKey } from "./keys.js";
import type { Link } from "./link.js";

/** Largest credit step, in bytes. */
const CREDIT_STEP = 64 * 1024;

/** Whoever sends on an OutRoute: a stream's origin or a proxy. */
export interface RouteOwner {
  readonly lastSeq: number;
  /** A proxy relays credit upstream, so its route waits for credit even after it closed. */
  readonly relaysCredit: boolean;
  credit(bytes: number): void;
  markGone(reason: EndReason, cause?: unknown): void;
}

/** How an OutRoute starts: an OPEN frame, or the bootstrap route that exists without one. */
export type Opening =
  | { readonly firstSeq: number; readonly base: boolean; readonly parent?: Parent; readonly join?: number }
  | { readonly presetId: number };

/**
 * An OutRoute's state. `closing` and `handing-off` wait for the peer's last
 * CREDIT (a proxy must relay it upstream); `ended` routes are out of the link's table
 * or their link is lost.
 */
export type OutRouteState = "sending" | "closing" | "handing-off" | "ended";

export class OutRoute<T> implements Outlet<T> {
  readonly id: number;
  /** Charged bytes sent on this route and not yet credited. */
  private outstanding = 0;
  private state: OutRouteState = "sending";
  owner!: RouteOwner;

  constructor(
    readonly link: Link,
    readonly channel: ChannelType<T>,
    private readonly portKey: GlobalKey,
    private readonly streamKey: GlobalKey,
    opening: Opening,
  ) {
    this.id = "presetId" in opening ? opening.presetId : link.allocRouteId();
    link.outbound.set(this.id, this as OutRoute<unknown>);
    link.routeStarted();
    if (!("presetId" in opening)) {
      link.send({ kind: "open", route: this.id, type: channel.wireType, open: { stream: streamKey, port: portKey, ...opening } });
    }
  }

  port(): GlobalKey {
    return this.portKey;
  }

  /** Still carrying messages (not closed, handed off or gone). */
  get active(): boolean {
    return this.state === "sending";
  }

  /** CLOSE or HANDOFF sent, the last CREDIT not back yet. */
  private get ending(): boolean {
    return this.state === "closing" || this.state === "handing-off";
  }

  write(value: T, seq: number | SeqSource): number {
    if (this.link.failure !== undefined) {
      // The connection just died: the message is lost with it, and the sender learns it.
      this.owner.markGone("connection-lost", this.link.failure);
      return 0;
    }
    const charge = this.link.writeMessage(this.id, seq, this.channel, value, { owner: this.owner, port: this.portKey });
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
    const charge = this.link.writeBody(this.id, seq, this.channel, body);
    this.outstanding += charge;
    return charge;
  }

  close(lastSeq: number, lost = false): void {
    if (!this.active) return;
    this.link.send({ kind: "close", route: this.id, lastSeq, lost });
    this.state = "closing";
    if (!this.owner.relaysCredit || this.outstanding <= 0) this.remove();
  }

  handoff(lastSeq: number, target: Uint8Array, join: number): void {
    if (!this.active) return;
    this.handoffAfterGone(lastSeq, { target, stream: this.streamKey, join });
    // Kept until the peer answers with its last CREDIT (or with GONE: the path ahead is gone,
    // and a sender must hear of it, since its continuation may wait for a HANDOFF that is lost).
    this.state = "handing-off";
  }

  /**
   * Writes HANDOFF, even on a route that is gone: a proxy that is gone still
   * passes on a HANDOFF it owed, and the next hop refuses the continuation
   * waiting for it (the route there is gone too, so the frame counts as late).
   */
  handoffAfterGone(lastSeq: number, handoff: Handoff): void {
    if (this.link.failure === undefined) this.link.send({ kind: "handoff", route: this.id, lastSeq, handoff });
  }

  flush(): Promise<void> {
    return this.link.router.io?.flushed(this.link) ?? Promise.resolve();
  }

  onCredit(bytes: number): void {
    this.outstanding -= bytes;
    this.owner.credit(bytes);
    if (this.ending && this.outstanding <= 0) this.remove();
  }

  onGone(lost: boolean): void {
    const was = this.state;
    if (was === "ended") return;
    this.remove();
    // Nothing sent here will be consumed now: release what it still holds.
    if (was !== "sending") this.owner.credit(this.outstanding);
    // Handed off or not, the receiver this path led to is gone: a sender hears it here too, as its
    // continuation may be waiting for a HANDOFF that the gone path drops.
    if (was === "sending" || (was === "handing-off" && !this.owner.relaysCredit)) this.owner.markGone(lost ? "connection-lost" : "closed");
  }

  onRedirect(address: NodeAddress): void {
    // Only a stream's origin follows a REDIRECT. A proxy has asked its own
    // upstream to go direct, so it is bypassed; were it to switch too, the
    // place it told its upstream about could be left before the upstream
    // arrives there (a stale REDIRECT).
    if (this.active && this.owner instanceof SenderCore) this.link.router.redirect(this.owner, this.channel, this.portKey, address);
  }

  onLinkLost(reason: EndReason, err: ProtochanError | undefined): void {
    const was = this.state;
    if (was === "ended") return;
    this.state = "ended";
    // After a handoff the stream lives on elsewhere (after a close it is over):
    // credit still owed here never comes.
    if (was !== "sending") this.owner.credit(this.outstanding);
    else this.owner.markGone(reason, err);
  }

  private remove(): void {
    this.state = "ended";
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

/**
 * An InRoute's state. A route that left its stream (CLOSE, HANDOFF, GONE) is
 * `draining` while credit it owes is still unsent: the link must stay up for it
 * (see Link.draining).
 */
export type InRouteState = "receiving" | "draining" | "ended";

export class InRoute<T> implements FeedingRoute, CreditTarget {
  /** Charged bytes received and not yet returned as CREDIT. */
  private inFlight = 0;
  private pendingCredit = 0;
  /** Undefined on a continuation route until its first message. */
  private nextSeq: number | undefined;
  private readonly type: TypeIdHalves;
  private state: InRouteState = "receiving";

  constructor(
    readonly link: Link,
    readonly id: number,
    /** Changes once: a continuation that arrived before its HANDOFF is joined to the stream. */
    public stream: StreamIn<T>,
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
    return this.state === "receiving";
  }

  onMessage(h: MessageHead, handles: readonly HandleEntry[], body: Uint8Array): void {
    if (h.typeLo !== this.type.lo || h.typeHi !== this.type.hi) {
      throw new ProtocolError(`route ${this.id} carries ${this.channel.typeName} but the peer sent another message type`);
    }
    if (this.nextSeq !== undefined && h.seq !== this.nextSeq) {
      throw new ProtocolError(`route ${this.id}: message ${h.seq} out of sequence (expected ${this.nextSeq})`);
    }
    // Twice the window: a proxy may forward a full window while its origin starts another.
    if (this.inFlight >= 2 * this.link.recvWindow) {
      throw new ResourceLimitError("window", `route ${this.id}: peer ignored flow control (${this.inFlight} bytes unconsumed)`);
    }
    this.nextSeq = h.seq + 1;
    const imported = handles.length === 0 ? undefined : importHandles(this.link, handles);
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
    const charge = windowCharge(body.length, handles.length);
    this.inFlight += charge;
    chargeLink(this.link, charge);
    const ends = imported?.finish();
    const waitFor = ends === undefined ? undefined : incompleteReceivers(ends);
    this.stream.accept({ value, size: charge, seq: h.seq, via: this, stream: this.stream, handles: ends, waitFor });
  }

  onClose(lastSeq: number, lost: boolean): void {
    this.checkLast(lastSeq, "closed");
    this.detach();
    this.flushCredit();
    this.stream.finish(lastSeq, lost ? "connection-lost" : "closed");
    // Cut upstream (a proxy's connection was lost): a continuation parked here
    // for its HANDOFF, which came that way, would wait for ever. Refused as lost.
    if (lost) this.link.router.streamCut(this.stream);
  }

  onHandoff(lastSeq: number, handoff: Handoff): void {
    this.checkLast(lastSeq, "handed off");
    const here = Buffer.compare(handoff.target, this.link.router.node) === 0;
    // Only a proxy passes a HANDOFF on: at the receiver it names this process.
    if (!here && this.stream.sink instanceof ReceiverCore)
      throw new ProtocolError(`route ${this.id}: handed off to another process at the receiver`);
    this.leave();
    // The sender's route waits for this answer; with nothing owed it is a CREDIT of 0.
    if (this.inFlight === 0 && this.link.failure === undefined) this.link.send({ kind: "credit", route: this.id, bytes: 0 });
    else this.flushCredit();
    this.stream.routeLeft(handoff, here);
    // The continuation joins the stream where its HANDOFF stops: here.
    if (here) this.link.router.joinHere(this.stream, handoff.join);
    // Last: a link left idle may close now, and its loss must find the join registered.
    this.link.routeEnded();
  }

  consumed(bytes: number): void {
    this.pendingCredit += bytes;
    // Credit in steps of at most a quarter window (or 64 KiB, so the sender
    // keeps the socket topped up instead of working in bursts). Never
    // deadlocks: a blocked sender has a full window outstanding, and so at
    // least a step's worth comes back once everything is consumed.
    // A route that closed or handed off owes its credit at once: a proxy upstream relays it.
    if (this.pendingCredit >= Math.min(this.link.recvWindow / 4, CREDIT_STEP) || !this.isOpen) this.flushCredit();
  }

  receiverGone(lost: boolean): void {
    if (!this.isOpen) return;
    // Credit held back for a step is owed now: once detached no consume comes
    // to flush it, and the link would count it unconsumed forever.
    this.flushCredit();
    this.link.send({ kind: "gone", route: this.id, lost });
    this.detach();
  }

  onLinkLost(reason: EndReason, err: ProtochanError | undefined): void {
    const was = this.state;
    this.state = "ended";
    if (was !== "receiving") return;
    this.stream.routes.delete(this);
    this.stream.abort(reason, err);
    // Continuations of the stream (from other links) can no longer join it here.
    this.link.router.streamCut(this.stream);
  }

  private checkLast(lastSeq: number, what: string): void {
    const last = this.nextSeq === undefined ? lastSeq : this.nextSeq - 1;
    if (lastSeq !== last) throw new ProtocolError(`route ${this.id}: ${what} after message ${lastSeq} but ${last} arrived`);
  }

  private flushCredit(): void {
    if (this.pendingCredit === 0 || this.link.failure !== undefined) return;
    this.link.send({ kind: "credit", route: this.id, bytes: this.pendingCredit });
    this.inFlight -= this.pendingCredit;
    this.link.unconsumed -= this.pendingCredit;
    this.pendingCredit = 0;
    if (this.state === "draining" && this.inFlight <= 0) {
      this.state = "ended";
      this.link.draining--;
      this.link.routeEnded();
    }
  }

  private detach(): void {
    if (!this.isOpen) return;
    this.leave();
    this.link.routeEnded();
  }

  /** Leaves the stream and the link's table (the caller then tells the link: see routeEnded). */
  private leave(): void {
    this.stream.routes.delete(this);
    this.link.inbound.delete(this.id);
    // The sender (or a proxy relaying to its upstream) still waits for this credit.
    if (this.inFlight - this.pendingCredit > 0) {
      this.state = "draining";
      this.link.draining++;
    } else this.state = "ended";
  }
}

/**
 * Counts bytes the peer left unconsumed on the whole connection: each route
 * keeps to its window, and this bounds their sum (many routes, each full).
 */
function chargeLink(link: Link, bytes: number): void {
  link.unconsumed += bytes;
  if (link.unconsumed > link.maxConnectionBytes) {
    throw new ResourceLimitError(
      "maxConnectionBytes",
      `peer left ${link.unconsumed} bytes unconsumed on one connection (maxConnectionBytes is ${link.maxConnectionBytes})`,
    );
  }
}

/** Receivers among a message's ends whose streams are still being opened. */
function incompleteReceivers(ends: readonly Closable[]): ReceiverCore<unknown>[] | undefined {
  let pending: ReceiverCore<unknown>[] | undefined;
  for (const end of ends) {
    if (end instanceof Receiver && !receiverCore(end).complete) (pending ??= []).push(receiverCore(end));
  }
  return pending;
}

/** A sender and its receiver (or a proxy of it) in the same process. */
export class LocalRoute<T> implements Outlet<T>, FeedingRoute, CreditTarget {
  private readonly scratch = new ByteWriter();
  private encoding = false;
  owner!: SenderCore<T>;

  /** The receiver, when the stream was local to it (not a proxy's visit). */
  readonly receiver: ReceiverCore<T> | undefined;
  private readonly portKey: GlobalKey | undefined;

  constructor(
    readonly channel: ChannelType<T>,
    readonly stream: StreamIn<T>,
    /** The receiver, or the receiver's name when the stream is proxied here. */
    target: ReceiverCore<T> | GlobalKey,
  ) {
    stream.routes.add(this);
    this.receiver = "id" in target ? undefined : target;
    this.portKey = "id" in target ? target : undefined;
  }

  port(): GlobalKey {
    return this.portKey ?? this.receiver!.port!;
  }

  write(value: T, seq: number | SeqSource): number {
    const handles = new LocalHandles(this.owner, this.receiver as ReceiverCore<unknown> | undefined);
    // A send from inside this encoding (a getter sending on a clone) gets a buffer of its own.
    const outer = !this.encoding;
    const w = outer ? this.scratch : new ByteWriter(256);
    this.encoding = true;
    try {
      this.channel.codec.encode(value, w, handles);
    } catch (err) {
      w.pos = 0;
      throw err;
    } finally {
      if (outer) this.encoding = false;
    }
    handles.commit();
    // take() hands out a region that is never written again, so the decoded
    // value may keep views into it.
    const body = w.take();
    const copy = this.channel.codec.decode(body, handles.decoder);
    const ends = handles.decoder.finish();
    const charge = windowCharge(body.length, ends?.length ?? 0);
    this.stream.accept({ value: copy, size: charge, seq: seqOf(seq), via: this, stream: this.stream, handles: ends });
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

  handoff(_lastSeq: number, target: Uint8Array, join: number): void {
    this.stream.routes.delete(this);
    this.stream.routeLeft({ target, stream: this.stream.key, join });
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

/** How a proxy's stream ends once what it holds is forwarded. */
type Ending = { readonly close: true; readonly lost: boolean } | { readonly close: false; readonly handoff: Handoff };

/**
 * A proxy: the receiver moved to another process, so this stream's messages
 * are forwarded there in order. It keeps to the next hop's window (a moved
 * queue may be larger than it), holding the rest; credit comes back from the
 * new place and is relayed to the routes the messages came by, so upstream
 * senders stay bounded by their own windows.
 */
export class Forwarder<T> implements StreamSink<T>, RouteOwner {
  readonly relaysCredit = true;
  private relays: Relay[] = [];
  private relayHead = 0;
  private bank = 0;
  /** Charged bytes written to `out` and not credited yet. */
  private outstanding = 0;
  private readonly window: number;
  private held: Arrival<T>[] = [];
  private written: number;
  private ending: Ending | undefined;
  private retired = false;

  constructor(
    readonly stream: StreamIn<T>,
    readonly out: OutRoute<T>,
    private readonly counters: { forwarded: number },
    private readonly onRetire: () => void,
  ) {
    out.owner = this;
    this.window = out.link.sendWindow;
    this.written = stream.delivered;
  }

  get lastSeq(): number {
    return this.written;
  }

  deliver(a: Arrival<T>): void {
    if (this.held.length > 0 || this.outstanding >= this.window) this.held.push(a);
    else this.forward(a);
  }

  private forward(a: Arrival<T>): void {
    let charge: number;
    try {
      charge = this.out.write(a.value, a.seq);
    } catch (err) {
      // The next hop cannot take it (too large for it, or it is gone): for this
      // stream the receiver is gone. The error is not the upstream link's fault.
      a.via.consumed(a.size);
      closeEnds(a.handles);
      this.markGone("closed", err);
      return;
    }
    this.written = a.seq;
    this.outstanding += charge;
    this.counters.forwarded++;
    this.relays.push({ via: a.via, originalSize: a.size, charge });
    // The ends it carried went on with it (senders cloned, receivers moved): drop the copies here.
    closeEnds(a.handles);
  }

  streamEnded(_stream: StreamIn<T>, reason: EndReason): void {
    this.endWith({ close: true, lost: reason !== "closed" });
  }

  handedOff(_stream: StreamIn<T>, handoff: Handoff): void {
    // Upstream went on elsewhere: this hop is done once nothing else feeds it.
    if (this.stream.routes.size > 0 || this.stream.continuations > 0) return;
    this.stream.ended = true;
    this.endWith({ close: false, handoff });
  }

  private endWith(ending: Ending): void {
    this.ending ??= ending;
    if (this.held.length > 0) return;
    if (ending.close) this.out.close(this.written, ending.lost);
    else this.out.handoff(this.written, ending.handoff.target, ending.handoff.join);
    this.retire();
  }

  credit(bytes: number): void {
    this.outstanding -= bytes;
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
    while (this.held.length > 0 && this.outstanding < this.window && this.out.active) this.forward(this.held.shift()!);
    if (this.held.length === 0 && this.ending !== undefined && !this.retired) this.endWith(this.ending);
  }

  markGone(reason: EndReason, cause?: unknown): void {
    // What was forwarded or held will never be consumed: return its credit
    // upstream (routes already handed off hear of it only this way).
    for (let i = this.relayHead; i < this.relays.length; i++) this.relays[i]!.via.consumed(this.relays[i]!.originalSize);
    this.relays = [];
    this.relayHead = 0;
    for (const a of this.held.splice(0)) {
      a.via.consumed(a.size);
      closeEnds(a.handles);
    }
    for (const route of [...this.stream.routes]) route.receiverGone(reason !== "closed");
    const owed = this.ending?.close === false ? this.ending.handoff : this.stream.pendingHandoff;
    if (owed !== undefined && !this.out.active) this.out.handoffAfterGone(this.written, owed);
    this.stream.abort(reason, cause);
    this.retire();
  }

  private retire(): void {
    if (this.retired) return;
    this.retired = true;
    this.onRetire();
  }
}

function closeEnds(ends: readonly Closable[] | undefined): void {
  if (ends !== undefined) for (const end of ends) end.close();
}
