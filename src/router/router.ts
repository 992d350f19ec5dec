// The router: one per process. It knows which receivers live here (ports),
// which live elsewhere but are reached through this process (forwards), and
// one link per peer process. It turns routing frames into route objects and
// keeps FIFO per stream however a receiver moves: a moved receiver leaves a
// proxy behind, the proxy asks each stream's sender to send directly to the
// new place (REDIRECT), the sender switches over (HANDOFF + OPEN), and the
// receiver merges both paths by sequence number. No sockets or timers here:
// links and the RouterIO are supplied by the I/O layer (or by a test).
import { ProtocolError, ReceiverGoneError, type EndReason, type ProtochanError } from "../errors.js";
import type { ChannelType } from "../channel/channel-type.js";
import { Receiver, ReceiverCore } from "../channel/receiver.js";
import { Sender, SenderCore, type Outlet } from "../channel/sender.js";
import { StreamIn, type StreamSink } from "../channel/stream.js";
import { Kind, type FrameHeader } from "../wire/header.js";
import { decodeNodeAddress, decodeOpen, encodeNodeAddress, type HandleEntry, type NodeAddress } from "./bodies.js";
import { globalKey, hex, newNodeId, type GlobalKey } from "./keys.js";
import type { Link } from "./link.js";
import { FLAG_LOST, Forwarder, InRoute, LocalRoute, OutRoute, type RouteOwner } from "./routes.js";

/** A sender that arrived knowing its receiver is gone: every send fails with ReceiverGoneError. */
function goneSender(channel: ChannelType<unknown>, port: GlobalKey): Sender<unknown> {
  const refuse = (): never => {
    throw new ReceiverGoneError("closed");
  };
  const outlet: Outlet<unknown> = {
    channel, port: () => port, write: refuse, encodeDetached: refuse, writeEncoded: refuse,
    close() {}, handoff() {}, flush: () => Promise.resolve(),
  };
  const core = new SenderCore(outlet, 0);
  core.markGone("closed");
  return new Sender(core);
}

/** Placeholder until a proxy stream's forwarder exists. */
const NO_SINK: StreamSink<unknown> = { deliver() {}, streamEnded() {} };

/** What the router asks of the I/O layer. */
export interface RouterIO {
  /** This process's name for direct connections, opening its listener on first use. */
  listen(): Promise<string>;
  /** A link to the process reachable at `name`. */
  dial(name: string): Promise<Link>;
  /** Resolves once what was written to `link` has been handed to the OS. */
  flushed(link: Link): Promise<void>;
}

/** A receiver that moved on: OPENs still arriving for it here are forwarded over `link`. */
interface PortForward {
  readonly link: Link;
  readonly type: ChannelType<unknown>;
  /** Streams announced here (exported senders) and not opened yet. */
  pendingOpens: number;
  /** Streams proxied here. */
  readonly streams: Map<string, StreamIn<unknown>>;
}

export class Router {
  readonly node: Uint8Array = newNodeId();
  readonly nodeHex = hex(this.node);
  private serial = 0;
  /** Receivers living here that have a global name. */
  readonly ports = new Map<string, ReceiverCore<unknown>>();
  readonly forwards = new Map<string, PortForward>();
  /** One link per peer process (the first one made). */
  readonly links = new Map<string, Link>();
  private readonly names = new Map<string, string>();
  private readonly awaitingNames = new Map<string, (() => void)[]>();
  /**
   * Streams announced over each link and not opened yet, per receiver (or
   * forward) they will feed: if the link is lost they never will be.
   */
  private readonly awaitingOpens = new Map<Link, Map<ReceiverCore<unknown> | PortForward, number>>();
  /** Messages this process forwarded as a proxy, for diagnostics and tests. */
  readonly stats = { forwarded: 0, redirects: 0, switched: 0 };
  /** Called after a stream switched to a new route (tests wait on it). */
  onSwitch: (() => void) | undefined;

  constructor(public io?: RouterIO) {}

  newKey(): GlobalKey {
    return globalKey(this.node, ++this.serial);
  }

  /** A local sender/receiver pair. */
  channel<T>(type: ChannelType<T>, window: number): [Sender<T>, Receiver<T>] {
    const receiver = new ReceiverCore<T>(type);
    const stream = new StreamIn<T>(this.newKey(), receiver, 1);
    receiver.addStream(stream);
    const route = new LocalRoute(type, stream, receiver);
    const sender = new SenderCore(route, window, type.handles);
    sender.stream = stream.key;
    route.owner = sender;
    return [new Sender(sender), new Receiver(receiver)];
  }

  /** The receiver's global name, registering it here. */
  portOf(core: ReceiverCore<unknown>): GlobalKey {
    if (core.port === undefined) this.register(core, this.newKey());
    return core.port!;
  }

  private register(core: ReceiverCore<unknown>, port: GlobalKey): void {
    core.port = port;
    this.ports.set(port.id, core);
    core.onFinished = () => {
      if (this.ports.get(port.id) === core) this.ports.delete(port.id);
    };
  }

  // ---- links ----

  linkUp(link: Link): void {
    if (!this.links.has(link.peerHex)) this.links.set(link.peerHex, link);
  }

  linkLost(link: Link, reason: EndReason, err: ProtochanError | undefined): void {
    if (this.links.get(link.peerHex) === link) this.links.delete(link.peerHex);
    for (const route of [...link.inbound.values()]) route.onLinkLost(reason, err);
    for (const route of [...link.outbound.values()]) route.onLinkLost(reason, err);
    link.inbound.clear();
    link.outbound.clear();
    for (const [id, fwd] of this.forwards) if (fwd.link === link) this.forwards.delete(id);
    for (const [target, count] of this.awaitingOpens.get(link) ?? []) {
      if (target instanceof ReceiverCore) {
        for (let i = 0; i < count; i++) target.expectationLost(reason, err);
      } else {
        target.pendingOpens -= count;
        for (const [id, fwd] of this.forwards) if (fwd === target && fwd.pendingOpens === 0 && fwd.streams.size === 0) this.forwards.delete(id);
      }
    }
    this.awaitingOpens.delete(link);
  }

  // ---- frames ----

  dispatch(link: Link, h: FrameHeader, handles: Uint8Array, body: Uint8Array): void {
    switch (h.kind) {
      case Kind.Message:
        return this.inRoute(link, h.routeId)?.onMessage(h, handles, body);
      case Kind.Open:
        return this.onOpen(link, h, body);
      case Kind.Close:
        return this.inRoute(link, h.routeId)?.onClose(h.seq, (h.flags & FLAG_LOST) !== 0);
      case Kind.Handoff:
        if (body.length !== 16) throw new ProtocolError(`bad HANDOFF: ${body.length} bytes, expected 16`);
        return this.inRoute(link, h.routeId)?.onHandoff(h.seq, body);
      case Kind.Credit:
        return link.outbound.get(h.routeId)?.onCredit(h.seq);
      case Kind.Gone:
        return link.outbound.get(h.routeId)?.onGone((h.flags & FLAG_LOST) !== 0);
      case Kind.Redirect:
        return link.outbound.get(h.routeId)?.onRedirect(decodeNodeAddress(body));
      case Kind.NodeInfo:
        return this.onNodeInfo(link, decodeNodeAddress(body));
      case Kind.Announce:
        if (body.length !== 16) throw new ProtocolError(`bad ANNOUNCE: ${body.length} bytes, expected 16`);
        return this.onAnnounce(link, this.inRoute(link, h.routeId), body);
      case Kind.Error:
        throw new ProtocolError(`peer reported an error: ${new TextDecoder().decode(body)}`);
      default:
        throw new ProtocolError(`unexpected frame kind ${h.kind} after the handshake`);
    }
  }

  /**
   * The open route `id`; undefined for a route that existed but is gone (the
   * peer's frames sent before it heard our GONE are late, not hostile: route
   * ids are never reused). A route never opened is a protocol error.
   */
  private inRoute(link: Link, id: number): InRoute<unknown> | undefined {
    const route = link.inbound.get(id);
    if (route === undefined && id > link.highestInbound) throw new ProtocolError(`frame for unknown route ${id}`);
    return route;
  }

  private onOpen(link: Link, h: FrameHeader, body: Uint8Array): void {
    const o = decodeOpen(body);
    if (h.routeId <= link.highestInbound) throw new ProtocolError(`OPEN of route ${h.routeId}, which was opened before`);
    link.highestInbound = h.routeId;
    const local = this.ports.get(o.port.id);
    const fwd = local === undefined ? this.forwards.get(o.port.id) : undefined;
    const type = local?.type ?? fwd?.type;
    if (type === undefined) {
      // Not here and not known: the receiver is gone (or never was here).
      link.writeFrame(Kind.Gone, h.routeId, 0);
      return;
    }
    if (h.typeLo !== Number(type.typeId & 0xffffffffn) || h.typeHi !== Number(type.typeId >> 32n)) {
      throw new ProtocolError(`OPEN for ${type.typeName} with another message type`);
    }
    const streams = local?.streams ?? fwd!.streams;
    let stream = streams.get(o.stream.id);
    if (o.base) {
      if (link.expectedOpens > 0) link.expectedOpens--;
      const pending = local ?? fwd!;
      if (pending.pendingOpens === 0) throw new ProtocolError(`OPEN of a stream nobody announced to ${type.typeName}`);
      pending.pendingOpens--;
      this.opened(link, pending);
    }
    if (stream === undefined) {
      stream = local !== undefined
        ? new StreamIn(o.stream, local, o.base ? o.firstSeq : undefined)
        : this.proxyStream(o.stream, fwd!, o.port, o.firstSeq, o.base);
      streams.set(o.stream.id, stream);
    } else {
      if (o.base) stream.setBase(o.firstSeq);
      else stream.continuations--;
    }
    const route = new InRoute(link, h.routeId, stream, type, o.base ? o.firstSeq : undefined);
    if (fwd !== undefined) this.askToRedirect(route, fwd.link);
  }

  private proxyStream(key: GlobalKey, fwd: PortForward, port: GlobalKey, firstSeq: number, base: boolean): StreamIn<unknown> {
    const out = new OutRoute(fwd.link, fwd.type, port, key, firstSeq, base);
    const stream = new StreamIn<unknown>(key, NO_SINK, firstSeq);
    stream.sink = new Forwarder(stream, out, this.stats, () => this.retireProxy(port.id, stream));
    return stream;
  }

  private retireProxy(portId: string, stream: StreamIn<unknown>): void {
    const fwd = this.forwards.get(portId);
    if (fwd === undefined) return;
    fwd.streams.delete(stream.key.id);
    if (fwd.pendingOpens === 0 && fwd.streams.size === 0) this.forwards.delete(portId);
  }

  // ---- handles ----

  /** The receiver a sender leads to. */
  portOfSender(core: SenderCore<unknown>): GlobalKey {
    const outlet = core.outlet;
    return outlet instanceof LocalRoute ? this.portOf(outlet.receiver) : outlet.port();
  }

  /** A sender was sent over `link`: its clone will open a stream back through here. */
  announceSender(core: SenderCore<unknown>, link: Link): void {
    const outlet = core.outlet;
    let target: ReceiverCore<unknown> | PortForward;
    if (outlet instanceof LocalRoute) {
      const receiver = outlet.receiver;
      target = receiver.moved ? this.forwardFor(this.portOf(receiver), receiver.type) : receiver;
    } else {
      const route = outlet as OutRoute<unknown>;
      target = this.forwards.get(route.port().id) ?? this.addForward(route.port(), route.link, core.type);
      // The clone's stream will come through here to the receiver: tell it to expect one more.
      route.announce(this.node);
    }
    target.pendingOpens++;
    this.expect(link, target, 1);
  }

  /** ANNOUNCE on a route: one more stream will be opened to its receiver over this link. */
  private onAnnounce(link: Link, route: InRoute<unknown> | undefined, origin: Uint8Array): void {
    if (route === undefined) return; // the route is gone, and so is its receiver here
    const sink = route.stream.sink;
    // Announced by this process while the receiver was away: counted when it came back.
    if (sink instanceof ReceiverCore && Buffer.compare(origin, this.node) === 0) return;
    if (sink instanceof Forwarder) {
      // A proxy: the stream will be proxied here too; pass the word on.
      const fwd = this.forwards.get((sink.out as OutRoute<unknown>).port().id);
      if (fwd !== undefined) {
        fwd.pendingOpens++;
        this.expect(link, fwd, 1);
      }
      (sink.out as OutRoute<unknown>).announce(origin);
    } else if (sink instanceof ReceiverCore && !sink.closed) {
      sink.pendingOpens++;
      link.expectedOpens++;
      this.expect(link, sink as ReceiverCore<unknown>, 1);
    }
  }

  private expect(link: Link, target: ReceiverCore<unknown> | PortForward, count: number): void {
    const waiting = this.awaitingOpens.get(link) ?? new Map<ReceiverCore<unknown> | PortForward, number>();
    waiting.set(target, (waiting.get(target) ?? 0) + count);
    this.awaitingOpens.set(link, waiting);
  }

  private opened(link: Link, target: ReceiverCore<unknown> | PortForward): void {
    const waiting = this.awaitingOpens.get(link);
    const left = (waiting?.get(target) ?? 0) - 1;
    if (left > 0) waiting!.set(target, left);
    else waiting?.delete(target);
    if (waiting?.size === 0) this.awaitingOpens.delete(link);
  }

  private addForward(port: GlobalKey, link: Link, type: ChannelType<unknown>): PortForward {
    const fwd: PortForward = { link, type, pendingOpens: 0, streams: new Map() };
    this.forwards.set(port.id, fwd);
    return fwd;
  }

  private forwardFor(port: GlobalKey, type: ChannelType<unknown>): PortForward {
    const fwd = this.forwards.get(port.id);
    if (fwd === undefined) throw new ProtocolError(`no route to receiver of ${type.typeName}`);
    return fwd;
  }

  importSender(link: Link, entry: HandleEntry, type: ChannelType<unknown>): Sender<unknown> {
    if (entry.gone === true) return goneSender(type, entry.port);
    const stream = this.newKey();
    const route = new OutRoute(link, type, entry.port, stream, 1, true);
    const core = new SenderCore(route, link.sendWindow, type.handles);
    core.stream = stream;
    route.owner = core;
    return new Sender(core);
  }

  importReceiver(link: Link, entry: HandleEntry, type: ChannelType<unknown>): Receiver<unknown> {
    if (this.ports.has(entry.port.id)) throw new ProtocolError("a receiver arrived that is already here");
    const core = new ReceiverCore<unknown>(type);
    core.pendingOpens = entry.streamCount;
    link.expectedOpens += entry.streamCount;
    this.register(core, entry.port);
    // It came back: streams announced here while it was away now open to it here.
    const away = this.forwards.get(entry.port.id);
    if (away !== undefined) {
      this.forwards.delete(entry.port.id);
      core.pendingOpens += away.pendingOpens;
      for (const waiting of this.awaitingOpens.values()) {
        const n = waiting.get(away);
        if (n === undefined) continue;
        waiting.delete(away);
        waiting.set(core, (waiting.get(core) ?? 0) + n);
      }
    }
    if (entry.streamCount > 0) this.expect(link, core, entry.streamCount);
    return new Receiver(core);
  }

  /** After the frame carrying it is written: the receiver's queue and streams follow it over `link`. */
  moveReceiver(core: ReceiverCore<unknown>, link: Link): void {
    const port = core.port!;
    const moving = core.movingStreams();
    const queued = core.moveOut();
    core.onFinished = undefined;
    this.ports.delete(port.id);
    const fwd = this.addForward(port, link, core.type);
    fwd.pendingOpens = core.pendingOpens;
    const forwarders = new Map<StreamIn<unknown>, Forwarder<unknown>>();
    for (const stream of moving) {
      const first = queued.find((a) => a.stream === stream)?.seq ?? stream.next;
      const out = new OutRoute(link, core.type, port, stream.key, first ?? 1, first !== undefined);
      const forwarder = new Forwarder(stream, out, this.stats, () => this.retireProxy(port.id, stream));
      stream.sink = forwarder;
      forwarders.set(stream, forwarder);
      fwd.streams.set(stream.key.id, stream);
    }
    for (const a of queued) a.stream.sink.deliver(a);
    for (const [stream, forwarder] of forwarders) {
      // A stream that ended here goes on ending there, after its queued messages.
      if (stream.ended) forwarder.streamEnded(stream, stream.endReason);
      else for (const route of [...stream.routes]) this.askToRedirect(route, link);
    }
    core.streams.clear();
    if (fwd.pendingOpens === 0 && fwd.streams.size === 0) this.forwards.delete(port.id);
  }

  // ---- proxy removal ----

  /** Asks whoever feeds `route` to send directly to the peer of `target`. */
  private askToRedirect(route: InRoute<unknown> | LocalRoute<unknown> | object, target: Link): void {
    if (route instanceof LocalRoute) {
      // The sender is in this process: switch it over now.
      this.switchOver(route.owner, route.channel, route.receiver.port!, target);
      return;
    }
    if (!(route instanceof InRoute)) return;
    const send = () => {
      if (!route.isOpen) return;
      this.stats.redirects++;
      const name = this.names.get(target.peerHex) ?? "";
      route.link.writeFrame(Kind.Redirect, route.id, 0, encodeNodeAddress({ node: target.peer, name }));
    };
    // If the upstream is the target itself, the move went to it before this
    // REDIRECT on the same link. Otherwise ask the target first: its answer
    // proves it has processed the move, so the sender's OPEN cannot overtake
    // it (and brings the target's name, which the sender needs to dial).
    if (route.link.peerHex === target.peerHex) send();
    else this.afterPeerCaughtUp(target, send);
  }

  /** Runs `then` once `link`'s peer has answered a NODE_INFO query sent now (one query per call, answered in order). */
  private afterPeerCaughtUp(link: Link, then: () => void): void {
    const waiting = this.awaitingNames.get(link.peerHex) ?? [];
    waiting.push(then);
    this.awaitingNames.set(link.peerHex, waiting);
    link.writeFrame(Kind.NodeInfo, 0, 0, encodeNodeAddress({ node: this.node, name: "" }));
  }

  private onNodeInfo(link: Link, address: NodeAddress): void {
    if (address.name === "") {
      // A query: answer with our name (opening our listener if need be).
      void this.io?.listen().then(
        (name) => link.failure === undefined && link.writeFrame(Kind.NodeInfo, 0, 0, encodeNodeAddress({ node: this.node, name })),
        () => {},
      );
      return;
    }
    this.names.set(link.peerHex, address.name);
    const waiting = this.awaitingNames.get(link.peerHex);
    waiting?.shift()?.();
    if (waiting?.length === 0) this.awaitingNames.delete(link.peerHex);
  }

  /** A REDIRECT reached a route's owner: send the rest of the stream to `address`. */
  redirect(owner: RouteOwner<unknown>, channel: ChannelType<unknown>, port: GlobalKey, address: NodeAddress): void {
    const peerHex = hex(address.node);
    if (peerHex === this.nodeHex) {
      const local = this.ports.get(port.id);
      if (local !== undefined && owner instanceof SenderCore) this.switchToLocal(owner, channel, local);
      return;
    }
    const link = this.links.get(peerHex);
    if (link !== undefined) {
      this.switchOver(owner, channel, port, link);
      return;
    }
    if (address.name === "" || this.io === undefined) return; // stay on the proxy path
    const before = (owner as { outlet?: unknown }).outlet;
    this.io.dial(address.name).then(
      (dialed) => {
        // Only if nothing changed meanwhile: not switched, not closed, not gone.
        const stillThere = owner instanceof SenderCore ? owner.open && owner.gone === undefined : !(owner as Forwarder<unknown>).stream.ended;
        if ((owner as { outlet?: unknown }).outlet === before && stillThere) this.switchOver(owner, channel, port, dialed);
      },
      () => {}, // unreachable: keep going through the proxy
    );
  }

  private switchOver(owner: RouteOwner<unknown>, channel: ChannelType<unknown>, port: GlobalKey, link: Link): void {
    const key = owner instanceof SenderCore ? owner.stream! : (owner as Forwarder<unknown>).stream.key;
    const out = new OutRoute(link, channel, port, key, owner.lastSeq + 1, false);
    out.owner = owner;
    owner.rebind(out, link.sendWindow, link.peer);
    this.switched();
  }

  private switched(): void {
    this.stats.switched++;
    this.onSwitch?.();
  }

  private switchToLocal(owner: SenderCore<unknown>, channel: ChannelType<unknown>, receiver: ReceiverCore<unknown>): void {
    const key = owner.stream!;
    let stream = receiver.streams.get(key.id);
    if (stream === undefined) {
      stream = new StreamIn(key, receiver, undefined);
      receiver.streams.set(key.id, stream);
    }
    stream.continuations--;
    const route = new LocalRoute(channel, stream, receiver);
    route.owner = owner;
    owner.rebind(route, owner.window, this.node);
    this.switched();
  }
}
