// Several routers in one process, linked by simulated sockets (see
// test/helpers/sim-link.ts) through the real Connection class and the real
// client/server handshakes. Each router's RouterIO listens and dials on the
// simulated network, so proxy removal may dial new direct links lazily.
// Between neighbouring nodes there are "control" channels (untyped, so they
// can carry channel ends): node X holds a sender whose receiver lives on Y.
import { localPair } from "../../src/routing/channel.js";
import { AnyChannel } from "../../src/codec/channel-type.js";
import type { ChannelLimits } from "../../src/routing/defaults.js";
import { Receiver } from "../../src/ends/receiver.js";
import { Sender } from "../../src/ends/sender.js";
import { clientHandshake } from "../../src/bootstrap/client-handshake.js";
import { LINK_ONLY } from "../../src/bootstrap/handshake.js";
import { serverHandshake } from "../../src/bootstrap/server-handshake.js";
import type { Connection } from "../../src/connection/connection.js";
import { globalKey, hex } from "../../src/routing/keys.js";
import type { Link } from "../../src/routing/link.js";
import { Router, type RouterIO } from "../../src/routing/router.js";
import { formatName, newToken } from "../../src/transport/name.js";
import type { EndReason, ProtochanError } from "../../src/errors.js";
import type { SimNetwork, SimSocket } from "../helpers/sim-link.js";
import type { Listener } from "../../src/transport/transport.js";
import type { Socket } from "node:net";

/** The routers of the cluster built last, by node index (for tracing scripts). */
export const lastRouters: Router[] = [];

/** The RouterIO of one simulated node: NetRouterIO's logic over the sim transport. */
export class SimRouterIO implements RouterIO {
  private listening: Promise<string> | undefined;
  private readonly token = newToken();
  router!: Router;
  dials = 0;
  /** Sockets accepted by this node's listener (killNode destroys them). */
  onSocket: (socket: Socket) => void = () => {};
  listener: Listener | undefined;

  constructor(
    private readonly net: SimNetwork,
    private readonly limits: ChannelLimits,
  ) {}

  listen(): Promise<string> {
    this.listening ??= Promise.resolve().then(() => {
      const listener = this.net.listen((socket) => {
        this.onSocket(socket);
        serverHandshake(
          socket,
          this.router,
          { token: this.token, type: LINK_ONLY, typeName: "(router link)", limits: this.limits, timeoutMs: 60_000 },
          () => ({ bootstrapPort: 0 }),
          () => {},
        );
      });
      this.listener = listener;
      return formatName(listener.address, this.token);
    });
    return this.listening;
  }

  /** The simulated network is all local. */
  mayDial(): boolean {
    return true;
  }

  async dial(name: string): Promise<Link> {
    this.dials++;
    const { conn } = await clientHandshake(this.router, name, LINK_ONLY, this.limits, {});
    return conn;
  }

  flushed(link: Link): Promise<void> {
    return (link as Connection).flushed();
  }
}

export interface LinkEvent {
  readonly node: number;
  /** The peer's node id (hex), "" for a failed control handshake. */
  readonly peer: string;
  readonly reason: EndReason;
  readonly message: string;
  readonly error?: ProtochanError;
}

export interface SimNode {
  readonly index: number;
  readonly router: Router;
  readonly io: SimRouterIO;
  /** Every link this router was given (first per peer or not). */
  readonly links: Link[];
  /** control[y]: a sender on this node whose receiver lives on node y. */
  readonly control: Map<number, Sender<unknown>>;
  /** controlIn[x]: the receiver here of node x's control sender. */
  readonly controlIn: Map<number, Receiver<unknown>>;
  /** Bootstrap receivers of control connections from outside the cluster (a hostile peer's). */
  readonly strangers: Receiver<unknown>[];
  /** Sockets of this node's side of its connections, and its listeners: what killNode ends. */
  readonly sockets: SimSocket[];
  readonly listeners: Listener[];
  /** Killed (killNode): its sockets are gone and it accepts none. */
  dead: boolean;
  /** Address and token of its control listener. */
  readonly controlName: string;
}

export interface Cluster {
  readonly nodes: SimNode[];
  /** Links that ended other than cleanly: always a failure in these tests. */
  readonly failures: LinkEvent[];
  /** Neighbours (control channels both ways) of each node. */
  readonly neighbours: number[][];
  /** The routes of the control channels (all routes there were once the cluster was built). */
  readonly controlRoutes: Set<object>;
}

/**
 * Builds `count` routers, linked along `edges` (pairs [x, y]: x dials y).
 * Each edge gets control channels both ways: x→y bootstrapped like connect()
 * does, y→x by sending a sender of a channel local to x over x→y.
 */
export async function buildCluster(
  net: SimNetwork,
  count: number,
  edges: readonly (readonly [number, number])[],
  limits: ChannelLimits,
): Promise<Cluster> {
  const failures: LinkEvent[] = [];
  let built = false;
  const nodes: SimNode[] = [];
  const controlNames: string[] = [];
  for (let index = 0; index < count; index++) {
    const io = new SimRouterIO(net, limits);
    const router = new Router(io);
    io.router = router;
    if (index === 0) lastRouters.length = 0;
    lastRouters.push(router);
    const node: SimNode = {
      index,
      router,
      io,
      links: [],
      control: new Map(),
      controlIn: new Map(),
      strangers: [],
      sockets: [],
      listeners: [],
      dead: false,
      controlName: "",
    };
    io.onSocket = (socket) => node.sockets.push(socket as unknown as SimSocket);
    // Watch links coming and going (instance wrappers; the router is not changed).
    const linkUp = router.linkUp.bind(router);
    router.linkUp = (link) => {
      node.links.push(link);
      // A dial of a killed node that completes after its death dies with it.
      const socket = (link as Connection).socket as unknown as SimSocket;
      if (!node.sockets.includes(socket)) node.sockets.push(socket);
      if (node.dead) socket.destroy();
      // Links dialed later (to follow a REDIRECT) stay open when idle, as NetRouterIO's do: closing
      // one races the peer's next use of it (bugs 7 and 10 of the report).
      if (built) (link as Connection).closeWhenIdle = false;
      linkUp(link);
    };
    const linkLost = router.linkLost.bind(router);
    router.linkLost = (link, reason, err) => {
      if (reason !== "closed") {
        const routes = [...link.inbound.values()]
          .map((r) => `in#${r.id}`)
          .concat([...link.outbound.values()].map((r) => `out#${r.id} ${describe(r)}`));
        failures.push({
          node: index,
          peer: link.peerHex,
          reason,
          message: `${err?.message ?? ""} [${routes.join(", ")}]`,
          ...(err === undefined ? {} : { error: err }),
        });
      }
      linkLost(link, reason, err);
    };
    if (process.env.ROUTER_TRACE !== undefined) traceFrames(router, index, nodes);
    nodes.push(node);
    // A listener for control connections: each client gets a bootstrap receiver, as with a one-shot server.
    const token = newToken();
    const listener = net.listen((socket) => {
      node.sockets.push(socket as unknown as SimSocket);
      serverHandshake(
        socket,
        router,
        { token, type: AnyChannel.wireType, typeName: AnyChannel.typeName, limits, timeoutMs: 60_000 },
        (conn) => {
          const core = router.bootstrapReceiver(conn, AnyChannel);
          const from = nodes.findIndex((n) => n.router.nodeHex === conn.peerHex);
          if (from < 0) node.strangers.push(new Receiver(core));
          else node.controlIn.set(from, new Receiver(core));
          return { bootstrapPort: router.portOf(core).serial };
        },
        (err) => failures.push({ node: index, peer: "", reason: "protocol-error", message: `control handshake: ${err.message}` }),
      );
    });
    node.listeners.push(listener);
    (node as { controlName: string }).controlName = formatName(listener.address, token);
    controlNames.push(node.controlName);
  }
  const neighbours: number[][] = nodes.map(() => []);
  for (const [x, y] of edges) {
    const from = nodes[x]!;
    const to = nodes[y]!;
    const handshake = clientHandshake(from.router, controlNames[y]!, AnyChannel.wireType, limits, {});
    await net.settle();
    const { conn, welcome } = await handshake;
    const port = globalKey(welcome.node, welcome.bootstrapPort);
    const forward = new Sender(from.router.bootstrapSender(conn, AnyChannel, port, welcome.bootstrapRoute, welcome.initialWindow));
    from.control.set(y, forward);
    // The way back: a channel local to x whose sender is sent to y.
    const [back, backRx] = localPair(from.router, AnyChannel, limits.window);
    forward.send({ back });
    back.close();
    from.controlIn.set(y, backRx);
    await net.settle();
    const got = to.controlIn.get(x)!.tryRecv() as { back: Sender<unknown> } | undefined;
    if (got === undefined) throw new Error(`control channel ${x}→${y} did not deliver`);
    to.control.set(x, got.back);
    neighbours[x]!.push(y);
    neighbours[y]!.push(x);
  }
  await net.settle();
  built = true;
  const controlRoutes = new Set<object>();
  for (const node of nodes) {
    for (const link of node.links) for (const route of [...link.inbound.values(), ...link.outbound.values()]) controlRoutes.add(route);
  }
  return { nodes, failures, neighbours, controlRoutes };
}

/**
 * Kills node `index` as SIGKILL would: its listeners stop accepting, its
 * sockets are destroyed (what it wrote and was not delivered yet is lost),
 * its peers see their connections end. Its router object stays, unused.
 */
export function killNode(cluster: Cluster, index: number): void {
  const node = cluster.nodes[index]!;
  node.dead = true;
  if (node.io.listener !== undefined) node.listeners.push(node.io.listener);
  for (const l of node.listeners) void l.close();
  for (const s of node.sockets) s.destroy();
}

/** Routes the links of the cluster still hold (but the control channels'), as "node→peer: route" lines. */
export function routesLeft(cluster: Cluster, keep: (route: object) => boolean = () => false): string[] {
  const left: string[] = [];
  for (const node of cluster.nodes) {
    if (node.dead) continue; // what a killed node holds died with it
    for (const link of node.links) {
      const peer = cluster.nodes.findIndex((n) => n.router.nodeHex === link.peerHex);
      for (const r of link.inbound.values()) {
        if (!cluster.controlRoutes.has(r) && !keep(r)) left.push(`n${node.index}→n${peer}: in#${r.id} stream ${r.stream.key.serial}`);
      }
      for (const r of link.outbound.values()) {
        if (!cluster.controlRoutes.has(r) && !keep(r)) left.push(`n${node.index}→n${peer}: out#${r.id} ${describe(r)}`);
      }
    }
  }
  return left;
}

/** Private state of a route, for failure messages only. */
function describe(route: object): string {
  const r = route as { state?: string; outstanding?: number; owner?: { constructor: { name: string } } };
  return `owner ${r.owner?.constructor.name} state=${r.state} outstanding=${r.outstanding}`;
}

/** ROUTER_TRACE=1: every event a router takes, one line each (for debugging a replayed scenario). */
function traceFrames(router: Router, index: number, nodes: readonly SimNode[]): void {
  const from = (link: Link) => nodes.findIndex((n) => n.router.nodeHex === link.peerHex);
  const accept = router.accept.bind(router);
  router.accept = (link, e) => {
    let extra = "";
    if (e.kind === "open") {
      const o = e.open;
      extra = ` stream ${o.stream.id.slice(0, 4)}/${o.stream.serial} port ${o.port.id.slice(0, 4)}/${o.port.serial}${o.base ? ` base ${o.firstSeq}` : " cont"}${o.parent === undefined ? "" : "hold" in o.parent ? ` parent hold ${o.parent.hold}` : ` parent route ${o.parent.route}`}`;
    }
    if (e.kind === "handoff") extra = ` -> ${hex(e.handoff.target).slice(0, 4)}`;
    if (e.kind === "redirect") extra = ` -> ${hex(e.address.node).slice(0, 4)}`;
    const route = "route" in e ? ` route ${e.route}` : "";
    const seq = "lastSeq" in e ? ` seq ${e.lastSeq}` : "bytes" in e ? ` bytes ${e.bytes}` : "";
    console.log(`  n${index} <- n${from(link)} ${e.kind.toUpperCase()}${route}${seq}${extra}`);
    accept(link, e);
  };
  const acceptMessage = router.acceptMessage.bind(router);
  router.acceptMessage = (link, h, handles, body) => {
    console.log(
      `  n${index} <- n${from(link)} MESSAGE route ${h.routeId} seq ${h.seq}${handles.length > 0 ? ` handles ${handles.length}` : ""}`,
    );
    acceptMessage(link, h, handles, body);
  };
}
