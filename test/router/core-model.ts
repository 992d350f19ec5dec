// The in-memory model of the routing property test: random operations on
// channels spread over 3–4 routers joined by MemoryNet links (no sockets, no
// frames), then checks. Every message carries its channel, its origin (one per
// sender stream: each clone is an origin of its own) and a number counting up
// from 1 per origin, so the receiver checks FIFO and exactly-once as it goes.
import { localPair } from "../../src/routing/channel.js";
import assert from "node:assert/strict";
import { AnyChannel } from "../../src/codec/channel-type.js";
import { DisconnectedError, ReceiverGoneError } from "../../src/errors.js";
import { Receiver } from "../../src/ends/receiver.js";
import { Sender } from "../../src/ends/sender.js";
import { BOOTSTRAP_ROUTE } from "../../src/wire/header.js";
import { MemoryNet, type MemoryLink, type MemoryNode } from "./memory-net.js";

export type CoreOp =
  | { readonly t: "create"; readonly node: number }
  | { readonly t: "send"; readonly h: number; readonly k: number }
  | { readonly t: "clone"; readonly h: number }
  | { readonly t: "give"; readonly h: number; readonly to: number; readonly close: boolean }
  | { readonly t: "move"; readonly c: number; readonly to: number }
  | { readonly t: "close"; readonly h: number }
  | { readonly t: "recv"; readonly c: number; readonly k: number }
  | { readonly t: "closeRx"; readonly c: number }
  | { readonly t: "net"; readonly steps: number }
  | { readonly t: "pause"; readonly node: number; readonly steps: number }
  | { readonly t: "settle" };

export interface CoreScenario {
  readonly nodes: number;
  readonly topology: "mesh" | "line";
  readonly window: number;
  readonly seed: number;
  readonly ops: readonly CoreOp[];
}

/** Paths a batch of runs must take at least once (the test fails on a zero). */
export const CORE_PATHS = {
  moved: "a receiver arrived at another node",
  given: "a sender clone arrived at another node",
  forwarded: "a proxy forwarded a message",
  redirects: "a proxy asked a sender to go direct",
  switched: "a sender switched to a direct route",
  dials: "a router dialed a node to follow a REDIRECT",
  paused: "a pause held back a pending event",
  closedRx: "a receiver was closed while senders had it",
  goneSends: "a send failed because the receiver was gone",
} as const;
export type CoreStats = Record<keyof typeof CORE_PATHS | "delivered", number>;
export const newCoreStats = (): CoreStats => ({
  moved: 0,
  given: 0,
  forwarded: 0,
  redirects: 0,
  switched: 0,
  dials: 0,
  paused: 0,
  closedRx: 0,
  goneSends: 0,
  delivered: 0,
});

interface Msg {
  readonly c: number;
  readonly o: number;
  readonly n: number;
}
type Carried =
  | { readonly carry: "tx"; readonly c: number; readonly tx: Sender<unknown> }
  | { readonly carry: "rx"; readonly c: number; readonly rx: Receiver<unknown> };

interface Chan {
  readonly id: number;
  /** The receiver and where it is; undefined while it travels. */
  rx: Receiver<unknown> | undefined;
  node: number;
  closed: boolean;
  /** Last number received, per origin. */
  readonly got: Map<number, number>;
}

interface Tx {
  readonly origin: number;
  readonly c: number;
  readonly node: number;
  readonly sender: Sender<unknown>;
  sent: number;
  closed: boolean;
}

const CONTROL_WINDOW = 1 << 30;

class CoreModel {
  private readonly chans: Chan[] = [];
  private readonly txs: Tx[] = [];
  /** Streams whose send() returned false, until ready(): clones share one, so the flag is per stream. */
  private readonly blocked = new Set<unknown>();
  private nextOrigin = 1;
  /** control.get(`${x}>${y}`): a sender on x whose receiver lives on y. */
  private readonly control = new Map<string, Sender<unknown>>();
  private readonly controlIn: { node: number; rx: Receiver<unknown> }[] = [];
  readonly neighbours: number[][];
  readonly stats = newCoreStats();

  constructor(
    private readonly net: MemoryNet,
    private readonly sc: CoreScenario,
  ) {
    for (let i = 0; i < sc.nodes; i++) net.addNode();
    net.afterDelivery = () => this.pump();
    this.neighbours = net.nodes.map(() => []);
    const edges: [number, number][] = [];
    for (let x = 0; x < sc.nodes; x++) for (let y = x + 1; y < sc.nodes; y++) if (sc.topology === "mesh" || y === x + 1) edges.push([x, y]);
    for (const [x, y] of edges) {
      const [xy, yx] = net.connect(net.nodes[x]!, net.nodes[y]!);
      this.bootstrap(net.nodes[x]!, xy, net.nodes[y]!, yx);
      this.bootstrap(net.nodes[y]!, yx, net.nodes[x]!, xy);
      this.neighbours[x]!.push(y);
      this.neighbours[y]!.push(x);
    }
  }

  /** A control channel from `a` to `b` on the link's bootstrap route, as connect() and a Server make one. */
  private bootstrap(a: MemoryNode, ab: MemoryLink, b: MemoryNode, ba: MemoryLink): void {
    const core = b.router.bootstrapReceiver(ba, AnyChannel);
    this.controlIn.push({ node: b.index, rx: new Receiver(core) });
    // Control traffic is taken as it arrives (see pump), so it never fills a window: it never waits.
    const sender = a.router.bootstrapSender(ab, AnyChannel, b.router.portOf(core), BOOTSTRAP_ROUTE, CONTROL_WINDOW);
    this.control.set(`${a.index}>${b.index}`, new Sender(sender));
  }

  async run(): Promise<void> {
    for (const op of this.sc.ops) await this.apply(op);
    await this.finish();
  }

  /** Sends on `sender`'s stream wait for ready(), as a caller respecting flow control does. */
  private block(sender: Sender<unknown>): void {
    const stream = sender.core;
    this.blocked.add(stream);
    sender.ready().then(
      () => this.blocked.delete(stream),
      () => this.blocked.delete(stream),
    );
  }

  private liveTxs(): Tx[] {
    return this.txs.filter((t) => !t.closed);
  }

  private heldChans(): Chan[] {
    return this.chans.filter((c) => c.rx !== undefined && !c.closed);
  }

  private async apply(op: CoreOp): Promise<void> {
    switch (op.t) {
      case "create": {
        const node = op.node % this.sc.nodes;
        const [tx, rx] = localPair(this.net.nodes[node]!.router, AnyChannel, this.sc.window);
        const chan: Chan = { id: this.chans.length, rx, node, closed: false, got: new Map() };
        this.chans.push(chan);
        this.addTx(chan.id, node, tx);
        return;
      }
      case "send": {
        const tx = pick(this.liveTxs(), op.h);
        if (tx === undefined || this.blocked.has(tx.sender.core)) return;
        for (let i = 0; i < op.k; i++) {
          try {
            const room = tx.sender.send({ c: tx.c, o: tx.origin, n: tx.sent + 1 } satisfies Msg);
            tx.sent++;
            if (!room) return this.block(tx.sender);
          } catch (err) {
            if (!(err instanceof ReceiverGoneError)) throw err;
            this.stats.goneSends++;
            return;
          }
        }
        return;
      }
      case "clone": {
        const tx = pick(this.liveTxs(), op.h);
        if (tx !== undefined) this.addTx(tx.c, tx.node, tx.sender.clone());
        return;
      }
      case "give": {
        const tx = pick(this.liveTxs(), op.h);
        if (tx === undefined) return;
        const to = pick(this.neighbours[tx.node]!, op.to)!;
        this.carry(tx.node, to, { carry: "tx", c: tx.c, tx: tx.sender });
        if (op.close) this.closeTx(tx);
        return;
      }
      case "move": {
        const chan = pick(this.heldChans(), op.c);
        if (chan === undefined) return;
        const to = pick(this.neighbours[chan.node]!, op.to)!;
        const rx = chan.rx!;
        chan.rx = undefined;
        this.carry(chan.node, to, { carry: "rx", c: chan.id, rx });
        return;
      }
      case "close": {
        const tx = pick(this.liveTxs(), op.h);
        if (tx !== undefined) this.closeTx(tx);
        return;
      }
      case "recv": {
        const chan = pick(this.heldChans(), op.c);
        if (chan !== undefined) this.receive(chan, op.k);
        return;
      }
      case "closeRx": {
        const chan = pick(this.heldChans(), op.c);
        if (chan === undefined) return;
        chan.rx!.close();
        chan.closed = true;
        if (this.txs.some((t) => t.c === chan.id && !t.closed)) this.stats.closedRx++;
        return;
      }
      case "net":
        await this.net.run(op.steps);
        this.pump();
        return;
      case "pause": {
        const node = this.net.nodes[op.node % this.sc.nodes]!;
        if (this.net.pendingAt(node) > 0) this.stats.paused++;
        this.net.pause(node, op.steps);
        return;
      }
      case "settle":
        await this.settle();
        return;
    }
  }

  private addTx(c: number, node: number, sender: Sender<unknown>): void {
    this.txs.push({ origin: this.nextOrigin++, c, node, sender, sent: 0, closed: false });
  }

  private closeTx(tx: Tx): void {
    tx.sender.close();
    tx.closed = true;
  }

  private carry(from: number, to: number, value: Carried): void {
    const sender = this.control.get(`${from}>${to}`)!;
    // Control channels are never closed before the end, and their windows are not the point here.
    sender.send(value);
  }

  /** Takes what control channels delivered: travelling ends arrive at their node. */
  private pump(): void {
    for (const { node, rx } of this.controlIn) {
      for (let m = rx.tryRecv() as Carried | undefined; m !== undefined; m = rx.tryRecv() as Carried | undefined) {
        const chan = this.chans[m.c]!;
        if (m.carry === "tx") {
          this.stats.given++;
          this.addTx(m.c, node, m.tx);
        } else {
          this.stats.moved++;
          chan.rx = m.rx;
          chan.node = node;
        }
      }
    }
  }

  private receive(chan: Chan, k: number): boolean {
    for (let i = 0; i < k; i++) {
      let m: Msg | undefined;
      try {
        m = chan.rx!.tryRecv() as Msg | undefined;
      } catch (err) {
        if (err instanceof DisconnectedError) return true;
        throw err;
      }
      if (m === undefined) return false;
      assert.equal(m.c, chan.id, `channel ${chan.id} received a message of channel ${m.c}`);
      const last = chan.got.get(m.o) ?? 0;
      assert.equal(m.n, last + 1, `channel ${chan.id}, origin ${m.o}: message ${m.n} after ${last} (lost, duplicated or reordered)`);
      chan.got.set(m.o, m.n);
      this.stats.delivered++;
    }
    return false;
  }

  private async settle(): Promise<void> {
    // Receiving frees windows, which lets held messages go: repeat until nothing moves.
    for (let round = 0; round < 10_000; round++) {
      await this.net.runUntilIdle();
      this.pump();
      let progress = false;
      for (const chan of this.heldChans()) {
        const before = this.stats.delivered;
        this.receive(chan, Number.POSITIVE_INFINITY);
        progress ||= this.stats.delivered > before;
      }
      if (!progress && this.net.pending === 0) return;
    }
    throw new Error("settle: no end to the traffic");
  }

  private async finish(): Promise<void> {
    // Clones still on their way arrive during settle(): close them too.
    await this.settle();
    while (this.liveTxs().length > 0) {
      for (const tx of this.liveTxs()) this.closeTx(tx);
      await this.settle();
    }
    for (const chan of this.chans) {
      if (chan.closed) continue;
      assert.ok(chan.rx !== undefined, `channel ${chan.id}: its receiver never arrived`);
      assert.equal(this.receive(chan, Number.POSITIVE_INFINITY), true, `channel ${chan.id}: not disconnected once every sender closed`);
      for (const tx of this.txs.filter((t) => t.c === chan.id)) {
        assert.equal(chan.got.get(tx.origin) ?? 0, tx.sent, `channel ${chan.id}, origin ${tx.origin}: ${tx.sent} sent`);
      }
      chan.rx.close();
    }
    this.net.afterDelivery = () => {};
    for (const sender of this.control.values()) sender.close();
    for (const { rx } of this.controlIn) rx.close();
    await this.net.runUntilIdle();
    for (const node of this.net.nodes) {
      assert.deepEqual(node.errors.map(String), [], `n${node.index}: protocol errors`);
      this.stats.forwarded += node.router.stats.forwarded;
      this.stats.redirects += node.router.stats.redirects;
      this.stats.switched += node.router.stats.switched;
      this.stats.dials += node.dials;
      assert.equal(node.router.forwards.size, 0, `n${node.index}: proxies left`);
      assert.equal(node.router.ports.size, 0, `n${node.index}: ports left`);
      for (const link of node.router.links.values()) {
        const where = `n${node.index} → ${link.peerHex.slice(0, 6)}`;
        assert.equal(link.inbound.size + link.outbound.size, 0, `${where}: routes left`);
        assert.equal(link.draining + link.expectedOpens + link.unconsumed, 0, `${where}: credit or opens still owed`);
      }
    }
  }
}

function pick<T>(items: readonly T[], i: number): T | undefined {
  return items.length === 0 ? undefined : items[i % items.length];
}

export async function runCoreScenario(sc: CoreScenario): Promise<CoreStats> {
  const net = new MemoryNet(sc.seed, { window: sc.window, maxRoutes: 8192, maxConnectionBytes: 1 << 28, maxHandles: 64 });
  const model = new CoreModel(net, sc);
  await model.run();
  return model.stats;
}
