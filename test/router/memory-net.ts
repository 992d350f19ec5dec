// Routers in one process joined by in-memory links: the routing core driven
// directly through its events (Router.accept / acceptMessage in, Link.send and
// writeMessage out), with no frames, sockets or handshakes — the pattern of
// Mojo's ports tests (a TestNode per node, WaitForIdle). Each direction of a
// link is one FIFO, as a socket is; step() delivers the head of one of them,
// chosen by a seeded random, so events of different links interleave freely.
import { ConnectionLostError, type EndReason, type ProtochanError } from "../../src/errors.js";
import type { ChannelType } from "../../src/codec/channel-type.js";
import { windowCharge } from "../../src/routing/defaults.js";
import type { HandleEntry, MessageHead, RoutingEvent } from "../../src/routing/events.js";
import { ExportContext, type ExportVia } from "../../src/routing/handles.js";
import { hex } from "../../src/routing/keys.js";
import type { Link } from "../../src/routing/link.js";
import type { InRoute, OutRoute } from "../../src/routing/routes.js";
import { Router, type RouterIO } from "../../src/routing/router.js";
import { seqOf, type SeqSource } from "../../src/routing/sender-core.js";
import { ByteWriter } from "../../src/wire/byte-writer.js";
import { seededRandom } from "../helpers/sim-link.js";

type Delivery =
  | { readonly event: RoutingEvent }
  | { readonly head: MessageHead; readonly handles: readonly HandleEntry[]; readonly body: Uint8Array };

/** One direction of a link: what `from` wrote, in order, for `to`. */
interface Pipe {
  readonly to: MemoryLink;
  readonly queue: Delivery[];
}

export interface MemoryLimits {
  readonly window: number;
  readonly maxRoutes: number;
  readonly maxConnectionBytes: number;
  readonly maxHandles: number;
}

/** A Link whose peer is another router of the same MemoryNet. */
export class MemoryLink implements Link {
  readonly inbound = new Map<number, InRoute<unknown>>();
  readonly outbound = new Map<number, OutRoute<unknown>>();
  highestInbound = 1;
  expectedOpens = 0;
  draining = 0;
  unconsumed = 0;
  failure: ProtochanError | undefined;
  readonly stats = { framesIn: 0, framesOut: 0 };
  readonly peerHex: string;
  readonly sendWindow: number;
  readonly recvWindow: number;
  readonly maxRoutes: number;
  readonly maxConnectionBytes: number;
  /** Set once both ends exist. */
  out!: Pipe;
  private lastRouteId = 1;

  constructor(
    readonly router: Router,
    readonly peer: Uint8Array,
    private readonly limits: MemoryLimits,
  ) {
    this.peerHex = hex(peer);
    this.sendWindow = this.recvWindow = limits.window;
    this.maxRoutes = limits.maxRoutes;
    this.maxConnectionBytes = limits.maxConnectionBytes;
  }

  allocRouteId(): number {
    return ++this.lastRouteId;
  }

  writeMessage<T>(routeId: number, seq: number | SeqSource, type: ChannelType<T>, value: T, via: ExportVia): number {
    const w = new ByteWriter(64);
    const ctx = type.handles ? new ExportContext(this, via, this.limits.maxHandles) : undefined;
    type.codec.encode(value, w, ctx);
    // As the connection does: the number is taken once the body is encoded, then the handles become real.
    const head = { routeId, seq: seqOf(seq), typeLo: type.wireType.lo, typeHi: type.wireType.hi };
    ctx?.commit();
    const body = w.take();
    this.push({ head, handles: ctx?.entries ?? [], body });
    for (const after of ctx?.after ?? []) after();
    return windowCharge(body.length, ctx?.entries.length ?? 0);
  }

  writeBody<T>(routeId: number, seq: number, type: ChannelType<T>, body: Uint8Array): number {
    this.push({ head: { routeId, seq, typeLo: type.wireType.lo, typeHi: type.wireType.hi }, handles: [], body });
    return windowCharge(body.length);
  }

  send(event: RoutingEvent): void {
    this.push({ event });
  }

  routeStarted(): void {}
  /** Links between routers stay up when idle, as NetRouterIO's direct links do. */
  routeEnded(): void {}

  private push(d: Delivery): void {
    if (this.failure !== undefined) return;
    this.stats.framesOut++;
    this.out.queue.push(d);
  }
}

export interface MemoryNode {
  readonly index: number;
  readonly router: Router;
  /** Links dialed to follow a REDIRECT (the first links are made by connect()). */
  dials: number;
  /** Deliveries to and from it wait until this step (a paused process). */
  pausedUntil: number;
  /** Protocol errors its router threw: always a failure in these tests. */
  readonly errors: Error[];
}

export class MemoryNet {
  readonly nodes: MemoryNode[] = [];
  private readonly pipes: Pipe[] = [];
  readonly random: () => number;
  /** Steps taken: one delivery, or a wait for a pause to pass. */
  tick = 0;
  /** Called after each delivery (the model takes its control messages at once). */
  afterDelivery: () => void = () => {};

  constructor(
    seed: number,
    readonly limits: MemoryLimits,
  ) {
    this.random = seededRandom(seed);
  }

  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  addNode(): MemoryNode {
    const index = this.nodes.length;
    const name = `mem:${index}`;
    const node: MemoryNode = { index, router: undefined as unknown as Router, dials: 0, pausedUntil: 0, errors: [] };
    const io: RouterIO = {
      listen: () => Promise.resolve(name),
      mayDial: (target) => target.startsWith("mem:"),
      dial: (target) => {
        node.dials++;
        const peer = this.nodes[Number(target.slice(4))];
        if (peer === undefined) return Promise.reject(new Error(`no node ${target}`));
        return Promise.resolve(this.connect(node, peer)[0]);
      },
      flushed: () => Promise.resolve(),
    };
    (node as { router: Router }).router = new Router(io);
    this.nodes.push(node);
    return node;
  }

  /** A link between two nodes, up on both sides (the accepting side first, as a handshake has it). */
  connect(a: MemoryNode, b: MemoryNode): [MemoryLink, MemoryLink] {
    const ab = new MemoryLink(a.router, b.router.node, this.limits);
    const ba = new MemoryLink(b.router, a.router.node, this.limits);
    ab.out = { to: ba, queue: [] };
    ba.out = { to: ab, queue: [] };
    this.pipes.push(ab.out, ba.out);
    b.router.linkUp(ba);
    a.router.linkUp(ab);
    return [ab, ba];
  }

  /** Delays everything to and from `node` by `steps` steps. */
  pause(node: MemoryNode, steps: number): void {
    node.pausedUntil = Math.max(node.pausedUntil, this.tick + steps);
  }

  private nodeOf(link: MemoryLink): MemoryNode {
    return this.nodes.find((n) => n.router === link.router)!;
  }

  private ready(pipe: Pipe): boolean {
    if (pipe.queue.length === 0) return false;
    const to = this.nodeOf(pipe.to);
    const from = this.nodes.find((n) => n.router.node === pipe.to.peer)!;
    return to.pausedUntil <= this.tick && from.pausedUntil <= this.tick;
  }

  /** Events waiting on a link to or from `node`. */
  pendingAt(node: MemoryNode): number {
    let n = 0;
    for (const p of this.pipes) if (p.to.router === node.router || p.to.peerHex === node.router.nodeHex) n += p.queue.length;
    return n;
  }

  get pending(): number {
    let n = 0;
    for (const p of this.pipes) n += p.queue.length;
    return n;
  }

  /** Delivers one event (or lets a step pass if every pending one waits for a pause); false if none is pending. */
  step(): boolean {
    if (this.pending === 0) return false;
    this.tick++;
    const ready = this.pipes.filter((p) => this.ready(p));
    if (ready.length === 0) return true;
    const pipe = ready[this.int(ready.length)]!;
    this.deliver(pipe.to, pipe.queue.shift()!);
    this.afterDelivery();
    return true;
  }

  private deliver(to: MemoryLink, d: Delivery): void {
    if (to.failure !== undefined) return;
    to.stats.framesIn++;
    try {
      if ("event" in d) to.router.accept(to, d.event);
      else to.router.acceptMessage(to, d.head, d.handles, d.body);
    } catch (err) {
      // A connection fails on a protocol error; with honest peers it is a bug.
      this.nodeOf(to).errors.push(err as Error);
      this.fail(to, "protocol-error", new ConnectionLostError(`peer's link failed: ${(err as Error).message}`));
    }
  }

  private fail(link: MemoryLink, reason: EndReason, err: ProtochanError): void {
    for (const side of [link, link.out.to]) {
      if (side.failure !== undefined) continue;
      side.failure = err;
      side.out.queue.length = 0;
      side.router.linkLost(side, reason, err);
    }
  }

  /** Up to `n` steps, letting promises (dials, listens) settle between them. */
  async run(n: number): Promise<void> {
    for (let i = 0; i < n && this.step(); i++) if (i % 8 === 7) await turn();
    await turn();
  }

  /** Delivers until nothing is pending and nothing more comes (WaitForIdle). */
  async runUntilIdle(): Promise<void> {
    for (let rounds = 0; rounds < 1_000_000; rounds++) {
      while (this.step()) if (this.tick % 64 === 0) await turn();
      await turn();
      if (this.pending === 0) return;
    }
    throw new Error("the network never went idle");
  }
}

/** One macrotask: microtasks and resolved promises run. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
