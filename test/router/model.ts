// The driver and model of the routing property test: random operations on
// channels spread over simulated nodes (create, send, clone, send a sender
// along, move a receiver along, carry channel ends inside messages, close,
// receive, let the network run), checked against a simple model: each
// sender stream's messages reach the channel's receiver exactly once and in
// order, the receiver reports disconnection only once every sender is closed
// and everything is drained, and nothing routing-related is left afterwards.
import assert from "node:assert/strict";
import { DisconnectedError, HandleCycleError, ReceiverGoneError } from "../../src/errors.js";
import { AnyChannel } from "../../src/codec/channel-type.js";
import { resolveLimits, type ChannelLimits } from "../../src/routing/defaults.js";
import type { Receiver } from "../../src/ends/receiver.js";
import type { Sender } from "../../src/ends/sender.js";
import type { SenderCore } from "../../src/routing/sender-core.js";
import { senderCore } from "../../src/routing/ends.js";
import { SimNetwork } from "../helpers/sim-link.js";
import { buildCluster, routesLeft, type Cluster } from "./cluster.js";

export type Op =
  | { readonly t: "create"; readonly node: number }
  | { readonly t: "send"; readonly h: number; readonly k: number; readonly pad: number }
  | { readonly t: "clone"; readonly h: number }
  /** Send a sender over a control channel to a neighbour (and maybe close it here: a move). */
  | { readonly t: "give"; readonly h: number; readonly to: number; readonly close: boolean }
  /** Move a receiver over a control channel to a neighbour. */
  | { readonly t: "move"; readonly c: number; readonly to: number }
  | { readonly t: "close"; readonly h: number }
  | { readonly t: "recv"; readonly c: number; readonly k: number }
  /** On sender h, a message carrying sender x (a clone travels). */
  | { readonly t: "carryTx"; readonly h: number; readonly x: number }
  /** On sender h, a message carrying the receiver of channel c. */
  | { readonly t: "carryRx"; readonly h: number; readonly c: number }
  /** Close a receiver: its senders learn the receiver is gone. */
  | { readonly t: "closeRx"; readonly c: number }
  | { readonly t: "net"; readonly ticks: number }
  | { readonly t: "settle" };

export interface Scenario {
  readonly nodes: number;
  /** "mesh": every pair linked at the start; "line": 0-1-2-…, other links are dialed by proxy removal. */
  readonly topology: "mesh" | "line";
  readonly linkWindow: number;
  /** Window of channels made with router.channel() (may be above linkWindow: a moved queue then exceeds the next hop's window). */
  readonly channelWindow: number;
  readonly netSeed: number;
  readonly ops: readonly Op[];
}

/** A sender's stream: a SenderCore (local clones share it). */
interface MStream {
  readonly id: number;
  readonly chan: MChan;
  readonly core: SenderCore<unknown>;
  sent: number;
  blocked: boolean;
}

interface MHandle {
  readonly id: number;
  readonly stream: MStream;
  readonly sender: Sender<unknown>;
  readonly node: number;
  closed: boolean;
}

interface MChan {
  readonly id: number;
  rx: Receiver<unknown> | undefined;
  /** Where the receiver is, undefined while it travels (in a control or data message). */
  node: number | undefined;
  /** While it travels inside a data message: that message's channel. */
  insideChan: MChan | undefined;
  /** Nodes the receiver has been on, in order. */
  readonly path: number[];
  /** Per stream id, the last message number received. */
  readonly got: Map<number, number>;
  readonly streams: MStream[];
  /** Senders of this channel travelling inside messages. */
  carried: number;
  /** Channel ends inside messages of this channel not received yet, by "stream:number". */
  readonly cargo: Map<string, { readonly tc?: number; readonly rc?: number }>;
  disconnected: boolean;
  /** The receiver was closed (or dropped with a closed receiver's queue). */
  closed: boolean;
}

interface DataMessage {
  readonly c: number;
  readonly s: number;
  readonly n: number;
  readonly pad?: string;
  readonly tx?: Sender<unknown>;
  readonly tc?: number;
  readonly rx?: Receiver<unknown>;
  readonly rc?: number;
}

interface ControlMessage {
  readonly tx?: Sender<unknown>;
  readonly tc?: number;
  readonly rx?: Receiver<unknown>;
  readonly rc?: number;
}

export interface RunResult {
  readonly log: string[];
  readonly stats: World["stats"];
}

/** Control senders per node pair, with their flow-control state. */
interface Control {
  readonly sender: Sender<unknown>;
  blocked: boolean;
}

export class World {
  readonly log: string[] = [];
  private readonly chans: MChan[] = [];
  private readonly handles: MHandle[] = [];
  private readonly streamsByCore = new Map<SenderCore<unknown>, MStream>();
  private readonly control = new Map<string, Control>();
  private nextStream = 1;
  private tearingDown = false;
  readonly stats = { messages: 0, blocked: 0, moves: 0, switched: 0, forwarded: 0, dials: 0, ticks: 0 };

  constructor(
    readonly cluster: Cluster,
    readonly net: SimNetwork,
    private readonly channelWindow: number,
  ) {
    for (const node of cluster.nodes) {
      for (const [to, sender] of node.control) this.control.set(`${node.index}>${to}`, { sender, blocked: false });
    }
  }

  private note(line: string): void {
    this.log.push(line);
  }

  // ---- picking ----

  private liveHandles(): MHandle[] {
    return this.handles.filter((h) => !h.closed);
  }

  private pickHandle(i: number): MHandle | undefined {
    const live = this.liveHandles();
    return live.length === 0 ? undefined : live[i % live.length];
  }

  private placedChans(): MChan[] {
    return this.chans.filter((c) => c.node !== undefined && !c.disconnected && !c.closed);
  }

  // ---- operations ----

  async apply(op: Op): Promise<void> {
    switch (op.t) {
      case "create":
        return this.create(op.node % this.cluster.nodes.length);
      case "send": {
        const h = this.pickHandle(op.h);
        if (h !== undefined) for (let i = 0; i < op.k; i++) if (!this.send(h, op.pad)) break;
        return;
      }
      case "clone": {
        const h = this.pickHandle(op.h);
        if (h !== undefined) this.addHandle(h.stream, h.sender.clone(), h.node, "clone");
        return;
      }
      case "give":
        return this.give(op.h, op.to, op.close);
      case "move":
        return this.move(op.c, op.to);
      case "close": {
        const h = this.pickHandle(op.h);
        if (h === undefined) return;
        this.closeHandle(h);
        return;
      }
      case "recv": {
        const placed = this.placedChans();
        if (placed.length > 0) this.recv(placed[op.c % placed.length]!, op.k);
        return;
      }
      case "closeRx": {
        const placed = this.placedChans();
        if (placed.length === 0) return;
        const chan = placed[op.c % placed.length]!;
        this.note(`close rx of c${chan.id} on n${chan.node} (${chan.rx!.queued} queued)`);
        chan.rx!.close();
        this.dropped(chan);
        return;
      }
      case "carryTx":
        return this.carryTx(op.h, op.x);
      case "carryRx":
        return this.carryRx(op.h, op.c);
      case "net":
        await this.net.run(op.ticks);
        this.pumpControls();
        return;
      case "settle":
        await this.net.settle();
        this.pumpControls();
        return;
    }
  }

  private create(node: number): void {
    const [tx, rx] = this.cluster.nodes[node]!.router.channel(AnyChannel, this.channelWindow);
    const chan: MChan = {
      id: this.chans.length,
      rx,
      node,
      insideChan: undefined,
      path: [node],
      got: new Map(),
      streams: [],
      carried: 0,
      cargo: new Map(),
      disconnected: false,
      closed: false,
    };
    this.chans.push(chan);
    this.note(`create c${chan.id} on n${node}`);
    this.addHandle(this.streamOf(senderCore(tx), chan), tx, node, "create");
  }

  private streamOf(core: SenderCore<unknown>, chan: MChan): MStream {
    let stream = this.streamsByCore.get(core);
    if (stream === undefined) {
      stream = { id: this.nextStream++, chan, core, sent: 0, blocked: false };
      this.streamsByCore.set(core, stream);
      chan.streams.push(stream);
    }
    assert.equal(stream.chan, chan, `sender of c${stream.chan.id} arrived as a sender of c${chan.id}`);
    return stream;
  }

  private addHandle(stream: MStream, sender: Sender<unknown>, node: number, how: string): MHandle {
    const h: MHandle = { id: this.handles.length, stream, sender, node, closed: false };
    this.handles.push(h);
    this.note(`  h${h.id} = ${how}: sender of c${stream.chan.id} stream s${stream.id} on n${node}`);
    return h;
  }

  /** Sends one numbered message (with optional extras); false if the stream is blocked by flow control. */
  private send(h: MHandle, pad: number, extra?: Partial<DataMessage>): boolean {
    const s = h.stream;
    if (s.blocked) return false;
    const n = s.sent + 1;
    const msg: DataMessage = { c: s.chan.id, s: s.id, n, ...(pad > 0 ? { pad: "x".repeat(pad) } : {}), ...extra };
    let more: boolean;
    try {
      more = h.sender.send(msg);
    } catch (err) {
      // Only a closed receiver makes a send fail.
      if (!(err instanceof ReceiverGoneError) || !s.chan.closed) throw err;
      assert.equal(err.reason, "closed", `c${s.chan.id}: receiver gone with reason ${err.reason}`);
      return false;
    }
    s.sent = n;
    if (extra?.tc !== undefined || extra?.rc !== undefined) {
      if (s.chan.closed) this.lost(extra);
      else s.chan.cargo.set(`${s.id}:${n}`, { tc: extra.tc, rc: extra.rc });
    }
    this.stats.messages++;
    this.note(`send c${s.chan.id} s${s.id} #${n} from h${h.id}@n${h.node}${extra?.tc !== undefined ? ` carrying a sender of c${extra.tc}` : ""}${extra?.rc !== undefined ? ` carrying rx of c${extra.rc}` : ""}`);
    if (!more) this.block(s);
    return true;
  }

  private block(s: MStream): void {
    s.blocked = true;
    this.stats.blocked++;
    s.core.ready().then(
      () => (s.blocked = false),
      () => {},
    );
  }

  private controlFor(from: number, to: number): Control | undefined {
    const c = this.control.get(`${from}>${to}`);
    return c === undefined || c.blocked ? undefined : c;
  }

  private sendControl(ctl: Control, msg: ControlMessage): void {
    if (!ctl.sender.send(msg)) {
      ctl.blocked = true;
      ctl.sender.ready().then(
        () => (ctl.blocked = false),
        () => {},
      );
    }
  }

  private neighbour(node: number, to: number): number {
    const ns = this.cluster.neighbours[node]!;
    return ns[to % ns.length]!;
  }

  private give(hi: number, to: number, close: boolean): void {
    const h = this.pickHandle(hi);
    if (h === undefined) return;
    const dest = this.neighbour(h.node, to);
    const ctl = this.controlFor(h.node, dest);
    if (ctl === undefined) return;
    this.sendControl(ctl, { tx: h.sender, tc: h.stream.chan.id });
    h.stream.chan.carried++;
    this.note(`give h${h.id} (c${h.stream.chan.id}) n${h.node}→n${dest}${close ? ", closing it here" : ""}`);
    if (close) this.closeHandle(h);
  }

  private move(ci: number, to: number): void {
    const placed = this.placedChans();
    if (placed.length === 0) return;
    const chan = placed[ci % placed.length]!;
    const from = chan.node!;
    const dest = this.neighbour(from, to);
    const ctl = this.controlFor(from, dest);
    if (ctl === undefined) return;
    this.note(`move rx of c${chan.id} n${from}→n${dest} (${chan.rx!.queued} queued)`);
    this.sendControl(ctl, { rx: chan.rx!, rc: chan.id });
    chan.rx = undefined;
    chan.node = undefined;
    this.stats.moves++;
  }

  private closeHandle(h: MHandle): void {
    h.closed = true;
    h.sender.close();
    this.note(`close h${h.id} (c${h.stream.chan.id} s${h.stream.id}) on n${h.node}`);
  }

  private carryTx(hi: number, xi: number): void {
    const h = this.pickHandle(hi);
    if (h === undefined || h.stream.blocked || h.stream.chan.closed) return;
    const candidates = this.liveHandles().filter((x) => x.node === h.node);
    const x = candidates[xi % candidates.length]!;
    if (x.stream === h.stream) {
      // A sender sent over itself: refused, and the stream must go on unharmed.
      assert.throws(() => h.sender.send({ c: h.stream.chan.id, s: h.stream.id, n: h.stream.sent + 1, tx: x.sender }), HandleCycleError);
      this.note(`h${h.id}: sending its own sender over itself refused (HandleCycleError)`);
      return;
    }
    x.stream.chan.carried++;
    this.send(h, 0, { tx: x.sender, tc: x.stream.chan.id });
  }

  private carryRx(hi: number, ci: number): void {
    const h = this.pickHandle(hi);
    if (h === undefined || h.stream.blocked || h.stream.chan.closed) return;
    const candidates = this.placedChans().filter((c) => c.node === h.node);
    if (candidates.length === 0) return;
    const chan = candidates[ci % candidates.length]!;
    const via = h.stream.chan;
    if (chan === via) {
      // A receiver sent over its own channel: refused, and the stream must go on unharmed.
      assert.throws(() => h.sender.send({ c: via.id, s: h.stream.id, n: h.stream.sent + 1, rx: chan.rx }), HandleCycleError);
      this.note(`h${h.id}: sending c${chan.id}'s receiver over c${via.id} refused (HandleCycleError)`);
      return;
    }
    // A receiver inside a message that (eventually) travels inside its own queue is unreachable: skip such cycles.
    for (let c: MChan | undefined = via; c !== undefined; c = c.insideChan) if (c === chan) return;
    const rx = chan.rx!;
    this.note(`carry rx of c${chan.id} (${rx.queued} queued) on c${via.id}`);
    chan.rx = undefined;
    chan.node = undefined;
    chan.insideChan = via;
    this.stats.moves++;
    this.send(h, 0, { rx, rc: chan.id });
  }

  // ---- receiving ----

  /** Takes what the control receivers hold: channel ends arriving on their new node. */
  pumpControls(): void {
    for (const node of this.cluster.nodes) {
      for (const [from, rx] of node.controlIn) {
        let m: ControlMessage | undefined;
        while ((m = rx.tryRecv() as ControlMessage | undefined) !== undefined) {
          this.note(`  n${node.index} got from n${from}'s control: ${m.tx !== undefined ? `a sender of c${m.tc}` : `rx of c${m.rc}`}`);
          this.arrived(m, node.index);
        }
      }
    }
  }

  private arrived(m: ControlMessage, node: number): void {
    if (m.tx !== undefined) {
      const chan = this.chans[m.tc!]!;
      chan.carried--;
      const h = this.addHandle(this.streamOf(senderCore(m.tx), chan), m.tx, node, "arrived");
      if (this.tearingDown) this.closeHandle(h);
    }
    if (m.rx !== undefined) {
      const chan = this.chans[m.rc!]!;
      assert.equal(chan.node, undefined, `rx of c${chan.id} arrived on n${node} but it is on n${chan.node}`);
      chan.rx = m.rx;
      chan.node = node;
      chan.insideChan = undefined;
      chan.path.push(node);
    }
  }

  /** Up to k messages from the receiver of `chan`; returns how many (-1: disconnected). */
  recv(chan: MChan, k: number): number {
    const rx = chan.rx!;
    for (let i = 0; i < k; i++) {
      let m: DataMessage | undefined;
      try {
        m = rx.tryRecv() as DataMessage | undefined;
      } catch (err) {
        if (!(err instanceof DisconnectedError)) throw err;
        this.note(`c${chan.id}: disconnected (${err.reason}) on n${chan.node}`);
        this.checkDisconnected(chan, err);
        return -1;
      }
      if (m === undefined) return i;
      this.check(chan, m);
      this.arrived(m, chan.node!);
    }
    return k;
  }

  private check(chan: MChan, m: DataMessage): void {
    const where = `c${chan.id} (path ${chan.path.join("→")})`;
    assert.equal(m.c, chan.id, `${where} received a message of c${m.c}`);
    const last = chan.got.get(m.s) ?? 0;
    if (m.n !== last + 1) {
      assert.fail(`${where}: stream s${m.s} delivered #${m.n} after #${last} (${m.n <= last ? "duplicate" : "gap"})`);
    }
    chan.got.set(m.s, m.n);
    chan.cargo.delete(`${m.s}:${m.n}`);
  }

  /** The receiver of `chan` is closed: what its messages carry is closed with them. */
  private dropped(chan: MChan): void {
    chan.closed = true;
    for (const cargo of chan.cargo.values()) this.lost(cargo);
    chan.cargo.clear();
  }

  /** Channel ends inside a message that is dropped. */
  private lost(cargo: { readonly tc?: number; readonly rc?: number }): void {
    if (cargo.tc !== undefined) this.chans[cargo.tc]!.carried--;
    if (cargo.rc !== undefined) {
      const inner = this.chans[cargo.rc]!;
      inner.insideChan = undefined;
      this.dropped(inner);
    }
  }

  private checkDisconnected(chan: MChan, err: DisconnectedError): void {
    const where = `c${chan.id} (path ${chan.path.join("→")})`;
    assert.equal(err.reason, "closed", `${where}: disconnected with reason ${err.reason}: ${String((err as Error).cause ?? "")}`);
    const open = this.handles.filter((h) => !h.closed && h.stream.chan === chan);
    assert.deepEqual(open.map((h) => `h${h.id}`), [], `${where}: disconnected while senders are open`);
    assert.equal(chan.carried, 0, `${where}: disconnected while ${chan.carried} sender(s) travel`);
    for (const s of chan.streams) {
      assert.equal(chan.got.get(s.id) ?? 0, s.sent, `${where}: disconnected with stream s${s.id} missing messages`);
    }
    chan.disconnected = true;
  }

  // ---- the end ----

  /** Closes every sender, drains every receiver, then checks that nothing is left. */
  async teardown(): Promise<void> {
    this.tearingDown = true;
    this.note("-- teardown");
    await this.net.settle();
    this.pumpControls();
    // Senders open to a closed receiver have heard that it is gone.
    for (const h of this.liveHandles()) {
      if (h.stream.chan.closed) assert.ok(senderCore(h.sender).gone !== undefined, `h${h.id}: the receiver of c${h.stream.chan.id} was closed but its sender was not told`);
    }
    for (let round = 0; ; round++) {
      for (const h of this.liveHandles()) this.closeHandle(h);
      for (const chan of this.placedChans()) while (this.recv(chan, 1000) > 0);
      this.pumpControls();
      await this.net.settle();
      this.pumpControls();
      const unfinished = this.chans.filter((c) => !c.disconnected && !c.closed);
      if (unfinished.length === 0 && this.liveHandles().length === 0) break;
      if (round > 50) {
        const lines = unfinished.map((c) => {
          const missing = c.streams.filter((s) => (c.got.get(s.id) ?? 0) !== s.sent).map((s) => `s${s.id} got ${c.got.get(s.id) ?? 0}/${s.sent}`);
          return `c${c.id} on n${c.node ?? "?"} path ${c.path.join("→")} carried ${c.carried} queued ${c.rx?.queued ?? "-"} missing [${missing.join(", ")}]`;
        });
        assert.fail(`never disconnected after every sender closed and the network drained:\n  ${lines.join("\n  ")}`);
      }
    }
    this.assertNoFailures();
    for (const chan of this.chans) chan.rx?.close();
    await this.net.settle();
    // Every channel is closed: only the control channels' routes may be left.
    assert.deepEqual(routesLeft(this.cluster), [], "routes left after every channel closed");
    // Close the control channels too: then every link has no routes, and closes.
    for (const ctl of this.control.values()) ctl.sender.close();
    await this.net.settle();
    for (const node of this.cluster.nodes) {
      for (const [from, rx] of node.controlIn) {
        assert.throws(() => rx.tryRecv(), DisconnectedError, `control n${from}→n${node.index} did not disconnect`);
        rx.close();
      }
    }
    await this.net.settle();
    this.assertNoFailures();
    for (const node of this.cluster.nodes) {
      for (const link of node.links) {
        assert.equal(link.inbound.size + link.outbound.size, 0, `n${node.index}: a link still holds routes after every channel closed`);
      }
      assert.deepEqual([...node.router.forwards.keys()], [], `n${node.index}: proxies left`);
    }
    for (const node of this.cluster.nodes) {
      const r = node.router;
      assert.deepEqual([...r.ports.keys()], [], `n${node.index}: ports left`);
      this.stats.switched += r.stats.switched;
      this.stats.forwarded += r.stats.forwarded;
      this.stats.dials += node.io.dials;
    }
    for (const s of this.net.sockets) assert.equal(s.writesAfterEnd, 0, `${s.label}: written after end()`);
    this.stats.ticks = this.net.stats.ticks;
  }

  assertNoFailures(): void {
    const f = this.cluster.failures;
    assert.deepEqual(f, [], `links failed: ${f.map((e) => `n${e.node}: ${e.reason}: ${e.message}`).join("; ")}`);
  }
}

export function edgesOf(nodes: number, topology: Scenario["topology"]): [number, number][] {
  const edges: [number, number][] = [];
  for (let x = 0; x < nodes; x++) {
    for (let y = x + 1; y < nodes; y++) if (topology === "mesh" || y === x + 1) edges.push([x, y]);
  }
  return edges;
}

/** Runs one scenario; throws (with the operation log attached) on the first violation. */
export async function runScenario(sc: Scenario): Promise<RunResult> {
  const net = new SimNetwork(sc.netSeed);
  const limits: ChannelLimits = resolveLimits({ maxFrameSize: 1 << 20, maxHandles: 64, window: sc.linkWindow });
  let world: World | undefined;
  try {
    const cluster = await buildCluster(net, sc.nodes, edgesOf(sc.nodes, sc.topology), limits);
    world = new World(cluster, net, sc.channelWindow);
    for (const op of sc.ops) {
      await world.apply(op);
      world.assertNoFailures();
    }
    await world.teardown();
    return { log: world.log, stats: world.stats };
  } catch (err) {
    if (err instanceof Error && world !== undefined) {
      err.message += `\n--- operations (last 60 lines):\n${world.log.slice(-60).join("\n")}`;
    }
    throw err;
  } finally {
    net.dispose();
  }
}
