// The router: one per process. It knows which receivers live here (ports),
// which live elsewhere but are reached through this process (forwards), and
// one link per peer process. It turns routing events (events.ts) into route objects and
// keeps FIFO per stream however a receiver moves: a moved receiver leaves a
// proxy behind, the proxy asks each stream's sender to send directly to the
// new place (REDIRECT), the sender switches over (HANDOFF + OPEN), and the
// receiver merges both paths by sequence number. No sockets, timers or frames here:
// links and the RouterIO are supplied by the I/O layer (or by a test).
import { ProtocolError, ReceiverGoneError, ResourceLimitError, type EndReason, type ProtochanError } from "../errors.js";
import type { ChannelType } from "../codec/channel-type.js";
import { ReceiverCore } from "./receiver-core.js";
import { SenderCore, type Outlet } from "./sender-core.js";
import { StreamIn, type StreamSink } from "./stream.js";
import type { HandleEntry, Handoff, MessageHead, NodeAddress, Open, Parent, RoutingEvent } from "./events.js";
import { importHandles } from "./handles.js";
import { globalKey, hex, newNodeId, type GlobalKey } from "./keys.js";
import type { Link } from "./link.js";
import { redactName } from "../transport/name.js";
import { BOOTSTRAP_ROUTE } from "../wire/header.js";
import { Forwarder, InRoute, LocalRoute, OutRoute, type Opening, type RouteOwner } from "./routes.js";

/** A sender that arrived knowing its receiver is gone: every send fails with ReceiverGoneError. */
function goneSender(channel: ChannelType<unknown>, port: GlobalKey): SenderCore<unknown> {
  const refuse = (): never => {
    throw new ReceiverGoneError("closed");
  };
  const outlet: Outlet<unknown> = {
    channel,
    port: () => port,
    write: refuse,
    encodeDetached: refuse,
    writeEncoded: refuse,
    close() {},
    handoff() {},
    flush: () => Promise.resolve(),
  };
  const core = new SenderCore(outlet, 0);
  core.markGone("closed");
  return core;
}

/** The owner of a route that carries nothing (its credit and GONE concern no one). */
const NO_OWNER: RouteOwner = { lastSeq: 0, relaysCredit: false, credit() {}, markGone() {} };

/** Placeholder until a proxy stream's forwarder exists. */
const NO_SINK: StreamSink<unknown> = { deliver() {}, streamEnded() {} };

/** What the router asks of the I/O layer. */
export interface RouterIO {
  /** This process's name for direct connections, opening its listener on first use; `via`: the link that asked. */
  listen(via?: Link): Promise<string>;
  /** A link to the process reachable at `name`; `via`: the link whose REDIRECT named it. */
  dial(name: string, via?: Link): Promise<Link>;
  /** Whether a peer may make this process dial `name` (a REDIRECT on `via` names it). */
  mayDial(name: string, via?: Link): boolean;
  /** Resolves once what was written to `link` has been handed to the OS. */
  flushed(link: Link): Promise<void>;
}

type OpenEvent = Extract<RoutingEvent, { kind: "open" }>;

/** A receiver that moved on: streams proxied here toward it. */
interface PortForward {
  /** Where the receiver went (last). */
  link: Link;
  readonly type: ChannelType<unknown>;
  /**
   * By stream key, upstream-most first: while routes bend, one stream's path
   * can pass through a process twice (an OPEN following its parent round a
   * receiver that came back).
   */
  readonly streams: Map<string, StreamIn<unknown>[]>;
}

/**
 * A sender sent over `link`: its clone will open its stream back here, naming
 * the hold; till then `core` is kept open so its receiver cannot disconnect.
 */
interface Hold {
  readonly core: SenderCore<unknown>;
  readonly link: Link;
}

/** Streams a move promised to a receiver over one link. */
interface Promised {
  readonly core: ReceiverCore<unknown>;
  count: number;
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
  /** Per link, per port: streams of a move not opened yet (if the link is lost they never will be). */
  private readonly awaitingOpens = new Map<Link, Map<string, Promised>>();
  /** HANDOFFs that stopped here before their continuation arrived, by joinKey. */
  private readonly joins = new Map<string, StreamIn<unknown>>();
  /** Continuations that arrived before their HANDOFF, each in a stream of its own until joined. */
  private readonly parked = new Map<string, StreamIn<unknown>>();
  /** How many of `parked` each connection brought: a peer may park at most MAX_WAITING. */
  private readonly parkedOn = new Map<Link, number>();
  /** Late HANDOFFs whose continuation has not come yet: it will be refused. */
  private readonly refusedJoins = new Set<string>();
  /** Continuations joined at once by a sender here (switchToLocal): their HANDOFF finds nothing to do. */
  private readonly joinedEarly = new Set<string>();
  /**
   * Streams whose path here was cut (a connection lost, say a proxy's that
   * died): a continuation of theirs has nothing to continue, and is refused as lost.
   */
  private readonly cutStreams = new Set<string>();
  /** Parked continuations lost with their connection: the stream their HANDOFF stops at is cut there. */
  private readonly lostJoins = new Set<string>();
  /**
   * Peers whose connection was lost (and not made again): a HANDOFF that
   * arrives later, by another path, for a stream of theirs stops at nothing.
   */
  private readonly lostPeers = new Set<string>();
  /** Senders exported and whose clones have not opened yet, by hold serial. */
  private readonly holds = new Map<number, Hold>();
  /** Messages this process forwarded as a proxy, for diagnostics and tests. */
  readonly stats = { forwarded: 0, redirects: 0, switched: 0 };
  /** Called after a stream switched to a new route (tests wait on it). */
  onSwitch: (() => void) | undefined;

  constructor(public io?: RouterIO) {}

  newKey(): GlobalKey {
    return globalKey(this.node, this.newSerial());
  }

  /** A serial of this node (keys, holds). */
  newSerial(): number {
    return ++this.serial;
  }

  /** The ports of a local sender/receiver pair (see localPair for the channel ends). */
  channel<T>(type: ChannelType<T>, window: number): [SenderCore<T>, ReceiverCore<T>] {
    const receiver = new ReceiverCore<T>(type);
    const stream = new StreamIn<T>(this.newKey(), receiver, 1);
    receiver.addStream(stream);
    const route = new LocalRoute(type, stream, receiver);
    const sender = new SenderCore(route, window, type.handles);
    sender.stream = stream.key;
    route.owner = sender;
    return [sender, receiver];
  }

  /**
   * The receiving port of `link`'s bootstrap route (what a server hands to
   * accept()): the peer's stream 0, which needs no OPEN. Its port's serial
   * goes to the peer in WELCOME.
   */
  bootstrapReceiver<T>(link: Link, type: ChannelType<T>): ReceiverCore<T> {
    const receiver = new ReceiverCore<T>(type);
    this.portOf(receiver as ReceiverCore<unknown>);
    const stream = new StreamIn<T>(globalKey(link.peer, 0), receiver, 1);
    receiver.addStream(stream);
    new InRoute(link, BOOTSTRAP_ROUTE, stream, type, 1);
    return receiver;
  }

  /**
   * The sending port of `link`'s bootstrap route `routeId` (what connect()
   * returns), to the peer's `port`: stream 0 of this node.
   */
  bootstrapSender<T>(link: Link, type: ChannelType<T>, port: GlobalKey, routeId: number, window: number): SenderCore<T> {
    const stream = globalKey(this.node, 0);
    const route = new OutRoute(link, type, port, stream, { presetId: routeId });
    const sender = new SenderCore(route, window, type.handles);
    sender.stream = stream;
    route.owner = sender;
    return sender;
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
      // Closed: continuations parked here for its streams wait for a HANDOFF that may never come.
      if (core.closed) for (const [key, waiting] of this.parked) if ((waiting.sink as Parked).port === port.id) this.refuseParkedKey(key);
    };
  }

  // ---- links ----

  linkUp(link: Link): void {
    this.lostPeers.delete(link.peerHex);
    if (!this.links.has(link.peerHex)) this.links.set(link.peerHex, link);
  }

  linkLost(link: Link, reason: EndReason, err: ProtochanError | undefined): void {
    if (this.links.get(link.peerHex) === link) this.links.delete(link.peerHex);
    for (const route of [...link.inbound.values()]) route.onLinkLost(reason, err);
    for (const route of [...link.outbound.values()]) route.onLinkLost(reason, err);
    link.inbound.clear();
    link.outbound.clear();
    // Continuations parked for a receiver that left over this link (or left no proxy): what
    // would join them here leads nowhere now, and their HANDOFF may have died with the link.
    for (const [key, waiting] of [...this.parked]) {
      const port = (waiting.sink as Parked).port;
      if (!this.parked.has(key) || this.ports.has(port)) continue;
      const via = this.forwards.get(port)?.link;
      if (via === undefined || via === link) this.refuseParkedKey(key, true);
    }
    for (const [id, fwd] of this.forwards) if (fwd.link === link && fwd.streams.size === 0) this.forwards.delete(id);
    for (const { core, count } of this.awaitingOpens.get(link)?.values() ?? []) {
      for (let i = 0; i < count; i++) core.expectationLost(reason, err);
    }
    this.awaitingOpens.delete(link);
    // Clones that never opened: their exporters' streams may end now.
    for (const [id, hold] of this.holds) {
      if (hold.link !== link) continue;
      this.holds.delete(id);
      hold.core.cloneLost = true;
      hold.core.release();
    }
    // Streams whose sender lives there and whose continuation was still to come: it never will.
    if (!this.links.has(link.peerHex)) {
      remember(this.lostPeers, link.peerHex);
      for (const [key, stream] of this.joins) {
        if (hex(stream.key.node) !== link.peerHex) continue;
        this.joins.delete(key);
        // Its messages after the HANDOFF never come: lost, even if the connection ended cleanly.
        stream.abort("connection-lost", err);
      }
    }
  }

  // ---- frames ----

  /** A MESSAGE from `link`, its handle table already read. */
  acceptMessage(link: Link, h: MessageHead, handles: readonly HandleEntry[], body: Uint8Array): void {
    const route = this.inRoute(link, h.routeId);
    if (route !== undefined) return route.onMessage(h, handles, body);
    // Late, for a route that is gone: the ends it carries are released (holds, moved streams).
    if (handles.length > 0) importHandles(link, handles).closeAll();
  }

  /** Any other event from `link`. */
  accept(link: Link, e: RoutingEvent): void {
    switch (e.kind) {
      case "open":
        return this.onOpen(link, e);
      case "close":
        return this.inRoute(link, e.route)?.onClose(e.lastSeq, e.lost);
      case "handoff": {
        const route = this.inRoute(link, e.route);
        if (route !== undefined) return route.onHandoff(e.lastSeq, e.handoff);
        // Late: the stream is gone from here, so a continuation waiting to join it here is refused.
        return this.refuseParked(e.handoff);
      }
      case "credit":
        return link.outbound.get(e.route)?.onCredit(e.bytes);
      case "gone":
        return link.outbound.get(e.route)?.onGone(e.lost);
      case "redirect":
        return link.outbound.get(e.route)?.onRedirect(e.address);
      case "node-info":
        return this.onNodeInfo(link, e.address);
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

  /**
   * OPEN comes in three kinds: a stream of a receiver that just moved here
   * (BASE), a sender clone's stream following its parent (BASE + PARENT), and
   * a stream going direct after a REDIRECT (neither: it continues here).
   */
  private onOpen(link: Link, e: OpenEvent): void {
    const o = e.open;
    if (e.route <= link.highestInbound) throw new ProtocolError(`OPEN of route ${e.route}, which was opened before`);
    link.highestInbound = e.route;
    if (o.base && link.expectedOpens > 0) link.expectedOpens--;
    else claimRoutes(link, 1);
    if (o.parent !== undefined) this.openChild(link, e, o, o.parent);
    else if (o.base) this.openMoved(link, e, o);
    else this.openContinuation(link, e, o);
  }

  private openMoved(link: Link, e: OpenEvent, o: Open): void {
    const waiting = this.awaitingOpens.get(link);
    const promised = waiting?.get(o.port.id);
    if (waiting === undefined || promised === undefined) throw new ProtocolError("OPEN of a stream no move announced");
    if (--promised.count === 0) waiting.delete(o.port.id);
    if (waiting.size === 0) this.awaitingOpens.delete(link);
    const core = promised.core;
    if (core.closed) {
      core.opened();
      return this.refuse(link, e);
    }
    checkType(e, core.type);
    new InRoute(link, e.route, startStream(core, o), core.type, o.firstSeq);
    // Last: once complete, the message that carried it may move it on at once.
    core.opened();
  }

  /**
   * A stream going direct after a REDIRECT. It joins the stream where the old
   * path's HANDOFF with the same join number stops (the first visit of the
   * stream here along that path); until that HANDOFF arrives it is parked.
   */
  private openContinuation(link: Link, e: OpenEvent, o: Open): void {
    // The stream's path here was cut: what it would continue is lost.
    if (this.cutStreams.has(o.stream.id)) return this.refuse(link, e, true);
    const type = this.typeOf(o.port);
    // Not here and not known: the receiver is gone (or never was here).
    if (type === undefined || o.join === undefined) return this.refuse(link, e);
    checkType(e, type);
    const key = joinKey(o.stream, o.join);
    if (this.refusedJoins.delete(key)) return this.refuse(link, e);
    const stream = this.joins.get(key);
    if (stream === undefined) {
      const parkedHere = this.parkedOn.get(link) ?? 0;
      if (parkedHere >= MAX_WAITING) {
        throw new ResourceLimitError("maxParked", `more than ${MAX_WAITING} continuations from one connection wait for their HANDOFF`);
      }
      this.parkedOn.set(link, parkedHere + 1);
      const waiting = new StreamIn<unknown>(o.stream, new Parked(o.port.id, link, () => this.unpark(key), key), undefined);
      this.parked.set(key, waiting);
      new InRoute(link, e.route, waiting, type, undefined);
      return;
    }
    this.joins.delete(key);
    const route = new InRoute(link, e.route, stream, type, undefined);
    this.joined(stream, [route]);
  }

  /** A HANDOFF naming this process stopped at `stream`: its continuation joins it. */
  joinHere(stream: StreamIn<unknown>, join: number): void {
    const key = joinKey(stream.key, join);
    if (this.joinedEarly.delete(key)) return;
    if (this.lostJoins.delete(key)) {
      // Its continuation was lost with its connection: the stream ends here after what came.
      stream.abort("connection-lost", undefined);
      return this.streamCut(stream);
    }
    const waiting = this.parked.get(key);
    if (waiting === undefined) {
      const sender = hex(stream.key.node);
      if (!this.links.has(sender) && this.lostPeers.has(sender)) {
        // Its continuation went over the connection that was lost: it never comes.
        stream.abort("connection-lost", undefined);
        return this.streamCut(stream);
      }
      this.joins.set(key, stream);
      return;
    }
    this.unpark(key);
    this.joined(stream, this.place(waiting, stream));
  }

  /** Continuation routes now feed `stream`: a proxy asks their senders on; a stream that is gone refuses them. */
  private joined(stream: StreamIn<unknown>, routes: readonly (InRoute<unknown> | LocalRoute<unknown>)[]): void {
    const sink = stream.sink;
    const gone = stream.ended || (sink instanceof ReceiverCore && sink.closed);
    stream.continuationJoined();
    if (gone) {
      const lost = stream.ended && stream.endReason !== "closed";
      for (const route of routes) route.receiverGone(lost);
    } else if (sink instanceof Forwarder) {
      for (const route of routes) this.askToRedirect(route, sink.out.link);
    }
  }

  /** A late HANDOFF (its route here is gone, and the stream with it): the continuation parked for it can join nothing. */
  private refuseParked(handoff: Handoff): void {
    if (Buffer.compare(handoff.target, this.node) !== 0) {
      // Passed on to where the continuation waits, on route 0 (no route: late there too).
      const link = this.links.get(hex(handoff.target));
      if (link !== undefined && link.failure === undefined) link.send({ kind: "handoff", route: 0, lastSeq: 0, handoff });
      return;
    }
    const key = joinKey(handoff.stream, handoff.join);
    if (this.parked.has(key)) this.refuseParkedKey(key);
    // Its continuation is still on the way: refused when it comes.
    else if (!this.joinedEarly.delete(key)) remember(this.refusedJoins, key);
  }

  private refuseParkedKey(key: string, lost = false): void {
    const waiting = this.parked.get(key)!;
    this.unpark(key);
    this.place(waiting, undefined, lost);
  }

  /**
   * A route feeding `stream` here was lost with its connection: the stream
   * ended after what had come. A continuation parked for it (or still to
   * come) is refused as lost, so its sender hears of it; a lost parked
   * continuation cuts the stream its HANDOFF will stop at.
   */
  streamCut(stream: StreamIn<unknown>): void {
    const sink = stream.sink;
    if (sink instanceof Parked) {
      if (sink.joinKey !== undefined) remember(this.lostJoins, sink.joinKey);
      return;
    }
    remember(this.cutStreams, stream.key.id);
    const prefix = `${stream.key.id}#`;
    for (const key of [...this.parked.keys()]) if (key.startsWith(prefix)) this.refuseParkedKey(key, true);
  }

  /** A parked continuation leaves the waiting room (joined, refused or ended). */
  private unpark(key: string): void {
    const waiting = this.parked.get(key);
    if (waiting === undefined) return;
    this.parked.delete(key);
    const link = (waiting.sink as Parked).link;
    const left = (this.parkedOn.get(link) ?? 1) - 1;
    if (left > 0) this.parkedOn.set(link, left);
    else this.parkedOn.delete(link);
  }

  /**
   * A parked stream learnt where it belongs: its routes and what they brought
   * now feed `into`, and streams parked behind it follow; undefined: it is
   * refused (GONE to its senders, what it brought dropped). Returns the routes moved.
   */
  private place(waiting: StreamIn<unknown>, into: StreamIn<unknown> | undefined, lost = false): InRoute<unknown>[] {
    const parked = waiting.sink as Parked;
    if (into === undefined) {
      for (const route of [...waiting.routes]) route.receiverGone(lost);
      waiting.dropHeld();
      parked.resolve(undefined, lost);
      return [];
    }
    const { routes, finish } = moveInto(waiting, into, this.joins);
    // Clone streams that followed it are placed before it may end (they were opened ahead of its end).
    parked.resolve(into);
    finish();
    return routes;
  }

  /** A sender clone's stream: it goes where its parent's goes, ahead of the parent's end. */
  private openChild(link: Link, e: OpenEvent, o: Open, parent: Parent): void {
    if ("hold" in parent) {
      const hold = this.holds.get(parent.hold);
      if (hold === undefined || hold.link !== link)
        throw new ProtocolError(`OPEN names sender hold ${parent.hold}, which this connection does not have`);
      this.holds.delete(parent.hold);
      const core = hold.core;
      const outlet = core.outlet;
      const at =
        core.gone !== undefined
          ? undefined
          : outlet instanceof LocalRoute
            ? placeOf(outlet.stream)
            : outlet instanceof OutRoute && outlet.active
              ? outlet
              : undefined;
      // Opened before the hold is released: if that closes the parent, its CLOSE follows this OPEN.
      // An exporter that learnt its receiver died, or whose stream was cut (StreamIn.abort told it),
      // refuses the clone as lost too: the receiver may have ended already.
      this.openAt(link, e, o, at, core.gone !== undefined && core.gone.reason !== "closed");
      core.release();
      return;
    }
    // A process on the parent's path: the parent's route here is still open (the OPEN is ahead of its end).
    const route = link.inbound.get(parent.route);
    if (route === undefined && parent.route > link.highestInbound)
      throw new ProtocolError(`OPEN names route ${parent.route} as its parent, which was never opened`);
    this.openAt(link, e, o, route === undefined ? undefined : placeOf(route.stream));
  }

  /** Opens a clone's stream at `at` (the parent's next step here); a parked parent parks it too. */
  private openAt(link: Link, e: OpenEvent, o: Open, at: Place | undefined, lost = false): void {
    if (at === undefined) return this.refuse(link, e, lost);
    if (!(at instanceof Parked)) {
      checkType(e, at instanceof OutRoute ? at.channel : at.type);
      const route = new InRoute(link, e.route, this.childStream(o, at), at instanceof OutRoute ? at.channel : at.type, o.firstSeq);
      if (at instanceof OutRoute) this.askToRedirect(route, at.link);
      return;
    }
    const type = this.typeOf(o.port);
    if (type === undefined) return this.refuse(link, e);
    checkType(e, type);
    const waiting = new StreamIn<unknown>(o.stream, new Parked(o.port.id, link, () => {}), undefined);
    new InRoute(link, e.route, waiting, type, o.firstSeq);
    const placed = (into: StreamIn<unknown> | undefined, lost: boolean): void => {
      const place = into === undefined ? undefined : placeOf(into);
      // The parent joined a stream that itself still waits (parked behind another): wait for that one.
      if (place instanceof Parked) return place.whenPlaced(placed);
      const child = place === undefined ? undefined : this.childStream(o, place);
      // Lost while it waited (its connection died): it ends lost where it belongs, or that end never comes.
      if (waiting.ended) return child?.abort(waiting.endReason, undefined);
      // Refused with its parent: as lost if the parent was (it came the same way).
      const routes = this.place(waiting, child, lost);
      if (place instanceof OutRoute) for (const route of routes) this.askToRedirect(route, place.link);
    };
    at.whenPlaced(placed);
  }

  /** The message type of the receiver `port`, if it is here or proxied here. */
  private typeOf(port: GlobalKey): ChannelType<unknown> | undefined {
    return this.ports.get(port.id)?.type ?? this.forwards.get(port.id)?.type;
  }

  /** The clone's stream at its place here: into the receiver, or proxied on along the parent's next hop. */
  private childStream(o: Open, at: ReceiverCore<unknown> | OutRoute<unknown>): StreamIn<unknown> {
    if (at instanceof OutRoute) {
      return this.proxyStream(o.stream, at.link, o.port, at.channel, { firstSeq: o.firstSeq, base: true, parent: { route: at.id } });
    }
    return startStream(at, o);
  }

  /** Answers an OPEN with GONE: nothing here takes the stream (`lost`: it was cut here). */
  private refuse(link: Link, e: OpenEvent, lost = false): void {
    link.send({ kind: "gone", route: e.route, lost });
  }

  private proxyStream(key: GlobalKey, next: Link, port: GlobalKey, type: ChannelType<unknown>, opening: Opening): StreamIn<unknown> {
    const fwd = this.forwards.get(port.id) ?? this.addForward(port, next, type);
    const out = new OutRoute(next, type, port, key, opening);
    const stream = new StreamIn<unknown>(key, NO_SINK, "base" in opening && opening.base ? opening.firstSeq : undefined);
    stream.sink = new Forwarder(stream, out, this.stats, () => this.retireProxy(port.id, stream));
    addProxied(fwd, stream);
    return stream;
  }

  private retireProxy(portId: string, stream: StreamIn<unknown>): void {
    const fwd = this.forwards.get(portId);
    if (fwd === undefined) return;
    const visits = fwd.streams.get(stream.key.id)?.filter((st) => st !== stream) ?? [];
    if (visits.length > 0) fwd.streams.set(stream.key.id, visits);
    else fwd.streams.delete(stream.key.id);
    if (fwd.streams.size === 0) this.forwards.delete(portId);
  }

  // ---- handles ----

  /** The receiver a sender leads to. */
  portOfSender(core: SenderCore<unknown>): GlobalKey {
    const outlet = core.outlet;
    return outlet instanceof LocalRoute && outlet.receiver !== undefined ? this.portOf(outlet.receiver) : outlet.port();
  }

  /** A sender was sent over `link`: keep its stream open until the clone's stream opened through here. */
  hold(serial: number, core: SenderCore<unknown>, link: Link): void {
    core.retain();
    this.holds.set(serial, { core, link });
    link.expectedOpens++;
  }

  private expect(link: Link, core: ReceiverCore<unknown>, count: number): void {
    const waiting = this.awaitingOpens.get(link) ?? new Map<string, Promised>();
    const promised = waiting.get(core.port!.id);
    if (promised !== undefined) promised.count += count;
    else waiting.set(core.port!.id, { core, count });
    this.awaitingOpens.set(link, waiting);
  }

  private addForward(port: GlobalKey, link: Link, type: ChannelType<unknown>): PortForward {
    const fwd: PortForward = { link, type, streams: new Map() };
    this.forwards.set(port.id, fwd);
    return fwd;
  }

  /** The port of a sender that arrived over `link` (handles.ts makes it a channel end). */
  importSender(link: Link, entry: HandleEntry, type: ChannelType<unknown>): SenderCore<unknown> {
    if (entry.gone === true) return goneSender(type, entry.port);
    claimRoutes(link, 1); // its stream opens back to the peer
    const stream = this.newKey();
    const route = new OutRoute(link, type, entry.port, stream, { firstSeq: 1, base: true, parent: { hold: entry.hold } });
    const core = new SenderCore(route, link.sendWindow, type.handles);
    core.stream = stream;
    route.owner = core;
    return core;
  }

  /** The port of a receiver that arrived over `link`. */
  importReceiver(link: Link, entry: HandleEntry, type: ChannelType<unknown>): ReceiverCore<unknown> {
    if (this.ports.has(entry.port.id)) throw new ProtocolError("a receiver arrived that is already here");
    claimRoutes(link, entry.streamCount); // its streams will open here
    const core = new ReceiverCore<unknown>(type);
    core.pendingOpens = entry.streamCount;
    link.expectedOpens += entry.streamCount;
    this.register(core, entry.port);
    // If it was here before, streams still proxied toward it keep going round (and are redirected here).
    if (entry.streamCount > 0) this.expect(link, core, entry.streamCount);
    return core;
  }

  /** After the frame carrying it is written: the receiver's queue and streams follow it over `link`. */
  moveReceiver(core: ReceiverCore<unknown>, link: Link): void {
    const port = core.port!;
    const moving = core.movingStreams();
    const queued = core.moveOut();
    core.onFinished = undefined;
    this.ports.delete(port.id);
    const fwd = this.forwards.get(port.id) ?? this.addForward(port, link, core.type);
    fwd.link = link;
    const forwarders = new Map<StreamIn<unknown>, Forwarder<unknown>>();
    for (const stream of moving) {
      // From the first message not delivered here yet (queued, or still to come).
      const first = queued.find((a) => a.stream === stream)?.seq ?? (stream.next === undefined ? undefined : stream.delivered + 1);
      const out = new OutRoute(link, core.type, port, stream.key, { firstSeq: first ?? 1, base: first !== undefined });
      const forwarder = new Forwarder(stream, out, this.stats, () => this.retireProxy(port.id, stream));
      stream.sink = forwarder;
      forwarders.set(stream, forwarder);
      addProxied(fwd, stream);
    }
    for (const a of queued) a.stream.sink.deliver(a);
    for (const [stream, forwarder] of forwarders) {
      // A stream that ended here goes on ending there, after its queued messages.
      if (stream.ended) forwarder.streamEnded(stream, stream.endReason);
      else for (const route of [...stream.routes]) this.askToRedirect(route, link);
    }
    core.streams.clear();
    // A stream of it was lost here: so that it still reports connection-lost
    // there, an empty stream that ends lost goes with it (counted in its entry).
    if (core.lostStream) {
      const lost = new OutRoute(link, core.type, port, this.newKey(), { firstSeq: 1, base: true });
      lost.owner = NO_OWNER;
      lost.close(0, true);
    }
    if (fwd.streams.size === 0) this.forwards.delete(port.id);
  }

  // ---- proxy removal ----

  /** Asks whoever feeds `route` to send directly to the peer of `target`. */
  private askToRedirect(route: InRoute<unknown> | LocalRoute<unknown> | object, target: Link): void {
    if (route instanceof LocalRoute) {
      // The sender is in this process: switch it over now.
      this.switchOver(route.owner, route.channel, route.port(), target);
      return;
    }
    if (!(route instanceof InRoute)) return;
    const send = () => {
      if (!route.isOpen) return;
      this.stats.redirects++;
      const name = this.names.get(target.peerHex) ?? "";
      route.link.send({ kind: "redirect", route: route.id, address: { node: target.peer, name } });
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
    link.send({ kind: "node-info", address: { node: this.node, name: "" } });
  }

  private onNodeInfo(link: Link, address: NodeAddress): void {
    if (address.name === "") {
      // A query: answer with our name (opening our listener if need be).
      void this.io?.listen(link).then(
        (name) => link.failure === undefined && link.send({ kind: "node-info", address: { node: this.node, name } }),
        () => {},
      );
      return;
    }
    this.names.set(link.peerHex, address.name);
    const waiting = this.awaitingNames.get(link.peerHex);
    waiting?.shift()?.();
    if (waiting?.length === 0) this.awaitingNames.delete(link.peerHex);
  }

  /** A REDIRECT reached a sender: send the rest of the stream to `address`. */
  redirect(owner: SenderCore<unknown>, channel: ChannelType<unknown>, port: GlobalKey, address: NodeAddress): void {
    const peerHex = hex(address.node);
    if (peerHex === this.nodeHex) {
      this.switchToLocal(owner, channel, port);
      return;
    }
    const link = this.links.get(peerHex);
    if (link !== undefined) {
      this.switchOver(owner, channel, port, link);
      return;
    }
    if (address.name === "" || this.io === undefined) return; // stay on the proxy path
    // Peer input: it may not make this process dial anywhere it pleases.
    const via = owner.outlet instanceof OutRoute ? owner.outlet.link : undefined;
    if (!this.io.mayDial(address.name, via)) {
      throw new ProtocolError(`REDIRECT names ${redactName(address.name)}, which this process's dial policy refuses (see setDialPolicy)`);
    }
    const before = owner.outlet;
    this.io.dial(address.name, via).then(
      (dialed) => {
        // Only if nothing changed meanwhile: not switched, not closed, not gone.
        if (owner.outlet === before && owner.open && owner.gone === undefined) this.switchOver(owner, channel, port, dialed);
      },
      () => {}, // unreachable: keep going through the proxy
    );
  }

  private switchOver(owner: SenderCore<unknown>, channel: ChannelType<unknown>, port: GlobalKey, link: Link): void {
    const join = owner.nextJoin();
    const out = new OutRoute(link, channel, port, owner.stream!, { firstSeq: owner.lastSeq + 1, base: false, join });
    out.owner = owner;
    owner.rebind(out, link.sendWindow, link.peer, join);
    this.switched();
  }

  private switched(): void {
    this.stats.switched++;
    this.onSwitch?.();
  }

  /**
   * A REDIRECT named this process: the old path's HANDOFF will stop at the
   * first visit of the stream here, so the sender joins it now if there is
   * only one (the receiver's, or a proxy's that then sends it on). Otherwise
   * it stays on the path it has.
   */
  private switchToLocal(owner: SenderCore<unknown>, channel: ChannelType<unknown>, port: GlobalKey): void {
    const key = owner.stream!;
    const visits = [...(this.forwards.get(port.id)?.streams.get(key.id) ?? []), this.ports.get(port.id)?.streams.get(key.id)];
    const live = visits.filter((st): st is StreamIn<unknown> => st !== undefined && !st.ended);
    if (live.length !== 1) return;
    const stream = live[0]!;
    const join = owner.nextJoin();
    this.joinedEarly.add(joinKey(key, join));
    const route = new LocalRoute(channel, stream, stream.sink instanceof ReceiverCore ? stream.sink : port);
    route.owner = owner;
    owner.rebind(route, owner.window, this.node, join);
    this.switched();
    this.joined(stream, [route]);
  }
}

/** The next step here of a stream that a clone's stream follows. */
type Place = ReceiverCore<unknown> | OutRoute<unknown> | Parked;

function placeOf(stream: StreamIn<unknown>): Place | undefined {
  // An ended stream takes no clone: a hold keeps a parent open, so it was cut (lost).
  if (stream.ended) return undefined;
  const sink = stream.sink;
  if (sink instanceof ReceiverCore) return sink.closed || sink.moved ? undefined : (sink as ReceiverCore<unknown>);
  if (sink instanceof Forwarder) return sink.out.active ? sink.out : undefined;
  return sink instanceof Parked ? sink : undefined;
}

/**
 * The sink of a stream that waits to learn where it belongs: a continuation
 * before its HANDOFF, or a clone's stream whose parent is such a stream. It
 * has no base, so everything it gets waits as early arrivals.
 */
class Parked implements StreamSink<unknown> {
  private readonly waiting: ((into: StreamIn<unknown> | undefined, lost: boolean) => void)[] = [];

  constructor(
    /** The receiver's port id. */
    readonly port: string,
    /** The connection its first route came over (parked streams are counted per connection). */
    readonly link: Link,
    private readonly onEnd: () => void,
    /** A continuation's: where it meets its HANDOFF (see joinKey). */
    readonly joinKey?: string,
  ) {}

  deliver(): void {}

  streamEnded(_stream: StreamIn<unknown>, reason: EndReason): void {
    this.onEnd();
    this.resolve(undefined, reason !== "closed");
  }

  whenPlaced(waiter: (into: StreamIn<unknown> | undefined, lost: boolean) => void): void {
    this.waiting.push(waiter);
  }

  /** Where the stream went (undefined: refused, `lost`: as lost). */
  resolve(into: StreamIn<unknown> | undefined, lost = false): void {
    for (const waiter of this.waiting.splice(0)) waiter(into, lost);
  }
}

/**
 * A parked stream's routes and what they brought now feed `into`; `finish`
 * then passes on its end, if it came (the caller first places what followed it).
 */
function moveInto(
  waiting: StreamIn<unknown>,
  into: StreamIn<unknown>,
  joins: Map<string, StreamIn<unknown>>,
): { routes: InRoute<unknown>[]; finish: () => void } {
  const routes = [...waiting.routes] as InRoute<unknown>[];
  for (const route of routes) {
    waiting.routes.delete(route);
    route.stream = into;
    into.routes.add(route);
  }
  const { arrivals, final, continuations, handoff } = waiting.takeAll();
  for (const a of arrivals) into.accept({ ...a, stream: into });
  // A HANDOFF that stopped at the parked stream stopped here.
  for (const [key, stream] of joins) if (stream === waiting) joins.set(key, into);
  return {
    routes,
    finish: () => {
      into.adopt(continuations, handoff);
      if (final !== undefined) into.finish(final.seq, final.reason);
    },
  };
}

/** The stream `o` starts in receiver `core` (a continuation may have come first: its start is set now). */
function startStream(core: ReceiverCore<unknown>, o: Open): StreamIn<unknown> {
  const stream = core.streams.get(o.stream.id);
  if (stream !== undefined) {
    stream.setBase(o.firstSeq); // a second start is a protocol error
    return stream;
  }
  const started = new StreamIn(o.stream, core, o.firstSeq);
  core.addStream(started);
  return started;
}

/** Streams parked at once per connection (continuations before their HANDOFF); a peer sending more is hostile. */
const MAX_WAITING = 4096;

/** A peer asks for `count` more routes on `link` (OPENs, sender clones, a moved receiver's streams). */
function claimRoutes(link: Link, count: number): void {
  const routes = link.inbound.size + link.outbound.size + link.expectedOpens + link.draining;
  if (routes + count > link.maxRoutes) {
    throw new ResourceLimitError(
      "maxRoutes",
      `peer would have ${routes + count} routes on one connection (maxRoutes is ${link.maxRoutes})`,
    );
  }
}

/** Adds `key`, forgetting the oldest past MAX_WAITING (late HANDOFFs are peer input). */
function remember(set: Set<string>, key: string): void {
  set.add(key);
  if (set.size > MAX_WAITING) set.delete(set.values().next().value!);
}

/** A continuation and its HANDOFF meet under this name. */
function joinKey(stream: GlobalKey, join: number): string {
  return `${stream.id}#${join}`;
}

function addProxied(fwd: PortForward, stream: StreamIn<unknown>): void {
  const visits = fwd.streams.get(stream.key.id);
  if (visits === undefined) fwd.streams.set(stream.key.id, [stream]);
  else visits.push(stream);
}

function checkType(e: OpenEvent, type: ChannelType<unknown>): void {
  if (e.type.lo !== type.wireType.lo || e.type.hi !== type.wireType.hi) {
    throw new ProtocolError(`OPEN for ${type.typeName} with another message type`);
  }
}
