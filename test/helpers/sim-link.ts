// A simulated network for tests of the routing core: in-memory duplex socket
// pairs good enough for the real Connection class, a "sim" transport so the
// real client/server handshakes (and RouterIO.dial) work over them, and a
// seeded scheduler. Each write becomes an entry in its direction's FIFO and
// is delivered after a random number of setImmediate hops (sometimes split in
// two, to exercise frame reassembly), so deliveries on different links
// interleave randomly while each direction stays a reliable ordered stream.
// Quiescence is observed by draining the network's queue, never by sleeping.
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { registerTransport, type Listener } from "../../src/transport/transport.js";

/** A small seeded PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Entry {
  /** Undefined: the writer's end-of-stream. */
  data: Buffer | undefined;
  callbacks: (() => void)[];
  hops: number;
}

/** One direction of a socket pair. */
class Pipe {
  readonly queue: Entry[] = [];
  /** Ticks left during which nothing is delivered (a paused peer: bytes wait, none are lost). */
  pausedTicks = 0;
  constructor(
    readonly from: SimSocket,
    readonly to: SimSocket,
  ) {}
}

export interface SimNetworkOptions {
  /** Most setImmediate hops an entry waits at the head of its pipe (default 3). */
  readonly maxHops?: number;
  /** Probability that a delivery is split in two chunks (default 0.2). */
  readonly splitProbability?: number;
}

/** An in-memory socket: the subset of net.Socket that Connection uses. */
export class SimSocket extends EventEmitter {
  /** Set by the pair: our outgoing pipe. */
  out!: Pipe;
  peer!: SimSocket;
  private corked = 0;
  private corkedChunks: Buffer[] = [];
  private corkedCallbacks: (() => void)[] = [];
  /** end() was called: no more writes. */
  writableEnded = false;
  /** The peer's end-of-stream arrived. */
  readableEnded = false;
  destroyed = false;
  private closeEmitted = false;
  private eofDelivered = false;
  /** Writes attempted after end()/destroy() (Node would emit an error). */
  writesAfterEnd = 0;

  constructor(
    readonly net: SimNetwork,
    readonly label: string,
  ) {
    super();
  }

  get writableLength(): number {
    let n = 0;
    for (const c of this.corkedChunks) n += c.length;
    for (const e of this.out.queue) n += e.data?.length ?? 0;
    return n;
  }

  write(chunk: Uint8Array, cb?: () => void): boolean {
    if (this.writableEnded || this.destroyed) {
      this.writesAfterEnd++;
      return false;
    }
    const copy = Buffer.from(chunk); // the caller may reuse its buffer
    if (this.corked > 0) {
      this.corkedChunks.push(copy);
      if (cb !== undefined) this.corkedCallbacks.push(cb);
      return true;
    }
    this.net.enqueue(this.out, copy, cb === undefined ? [] : [cb]);
    return true;
  }

  cork(): void {
    this.corked++;
  }

  uncork(): void {
    if (this.corked === 0 || --this.corked > 0) return;
    const chunks = this.corkedChunks;
    const callbacks = this.corkedCallbacks;
    this.corkedChunks = [];
    this.corkedCallbacks = [];
    if (chunks.length > 0 || callbacks.length > 0) this.net.enqueue(this.out, Buffer.concat(chunks), callbacks);
  }

  end(): void {
    if (this.writableEnded || this.destroyed) return;
    if (this.corked > 0) {
      this.corked = 1;
      this.uncork();
    }
    this.writableEnded = true;
    this.net.enqueue(this.out, undefined, []);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    // What was not delivered yet is lost; the peer sees the end of the stream.
    this.out.queue.length = 0;
    this.writableEnded = true;
    this.net.enqueue(this.out, undefined, []);
    this.net.later(() => this.maybeClose(true));
  }

  /** Called by the network. */
  receive(data: Buffer | undefined): void {
    if (this.destroyed || this.readableEnded) return;
    if (data !== undefined) {
      if (data.length > 0) this.emit("data", data);
      return;
    }
    this.readableEnded = true;
    this.emit("end");
    // allowHalfOpen is false on node:net sockets: the writable side ends too.
    this.end();
    this.maybeClose(false);
  }

  /** Our end-of-stream reached the peer. */
  endDelivered(): void {
    this.eofDelivered = true;
    this.maybeClose(false);
  }

  private maybeClose(force: boolean): void {
    if (this.closeEmitted) return;
    if (!force && !(this.readableEnded && this.eofDelivered)) return;
    this.closeEmitted = true;
    this.emit("close", false);
  }

  /** As a node:net Socket, for the Connection constructor and transports. */
  asSocket(): Socket {
    return this as unknown as Socket;
  }
}

interface NetListener {
  readonly onConnection: (socket: Socket) => void;
  closed: boolean;
}

const networks = new Map<number, SimNetwork>();
let nextNetworkId = 1;

registerTransport({
  scheme: "sim",
  async listen(rest, onConnection) {
    const [netId] = rest.split("/");
    const net = networks.get(Number(netId));
    if (net === undefined) throw new Error(`sim transport: no network ${rest}`);
    return net.listen(onConnection);
  },
  async dial(rest) {
    const [netId, port] = rest.split("/");
    const net = networks.get(Number(netId));
    if (net === undefined) throw new Error(`sim transport: no network ${rest}`);
    return net.dial(Number(port));
  },
});

/** A seeded network of socket pairs, delivering only while something awaits it. */
export class SimNetwork {
  readonly id = nextNetworkId++;
  readonly random: () => number;
  private readonly maxHops: number;
  private readonly splitProbability: number;
  private readonly pipes = new Set<Pipe>();
  private readonly listeners = new Map<number, NetListener>();
  private nextPort = 1;
  private readonly laterQueue: (() => void)[] = [];
  private tickScheduled = false;
  private idleWaiters: (() => void)[] = [];
  private tickWaiters: { ticks: number; resolve: () => void }[] = [];
  readonly sockets: SimSocket[] = [];
  readonly stats = { entries: 0, deliveries: 0, splits: 0, ticks: 0, heldBack: 0 };

  constructor(seed: number, options: SimNetworkOptions = {}) {
    this.random = seededRandom(seed);
    this.maxHops = options.maxHops ?? 3;
    this.splitProbability = options.splitProbability ?? 0.2;
    networks.set(this.id, this);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** Removes the network from the sim transport's registry. */
  dispose(): void {
    networks.delete(this.id);
  }

  /** A connected pair of sockets: [a, b]. */
  pair(label = "pair"): [SimSocket, SimSocket] {
    const a = new SimSocket(this, `${label}:a`);
    const b = new SimSocket(this, `${label}:b`);
    a.peer = b;
    b.peer = a;
    a.out = new Pipe(a, b);
    b.out = new Pipe(b, a);
    this.pipes.add(a.out);
    this.pipes.add(b.out);
    this.sockets.push(a, b);
    return [a, b];
  }

  listen(onConnection: (socket: Socket) => void): Listener {
    const port = this.nextPort++;
    const entry: NetListener = { onConnection, closed: false };
    this.listeners.set(port, entry);
    return {
      address: `sim:${this.id}/${port}`,
      async close() {
        entry.closed = true;
      },
      unref() {},
    };
  }

  dial(port: number): Socket {
    const listener = this.listeners.get(port);
    if (listener === undefined || listener.closed) throw new Error(`sim: nothing listens on port ${port}`);
    const [client, server] = this.pair(`dial${port}`);
    listener.onConnection(server.asSocket());
    return client.asSocket();
  }

  /**
   * Delivers nothing in either direction of each socket's pair for `ticks`
   * ticks, as if the process behind it were stopped: writes pile up, none is
   * lost, and delivery resumes in order. Settling waits for the pause to end.
   */
  pause(sockets: readonly SimSocket[], ticks: number): void {
    for (const s of sockets) {
      for (const pipe of [s.out, s.peer.out]) pipe.pausedTicks = Math.max(pipe.pausedTicks, ticks);
    }
    this.schedule();
  }

  /** Delivers nothing to `socket` for `ticks` ticks (it does not read; what it writes still goes). */
  stopReading(socket: SimSocket, ticks: number): void {
    socket.peer.out.pausedTicks = Math.max(socket.peer.out.pausedTicks, ticks);
  }

  /** Ends a pause of these sockets' pairs now. */
  resume(sockets: readonly SimSocket[]): void {
    for (const s of sockets) for (const pipe of [s.out, s.peer.out]) pipe.pausedTicks = 0;
    this.schedule();
  }

  /** Bytes (or end-of-stream) written, not yet delivered. */
  get pending(): number {
    let n = 0;
    for (const p of this.pipes) n += p.queue.length;
    return n + this.laterQueue.length;
  }

  enqueue(pipe: Pipe, data: Buffer | undefined, callbacks: (() => void)[]): void {
    this.stats.entries++;
    pipe.queue.push({ data, callbacks, hops: this.int(this.maxHops + 1) });
    this.schedule();
  }

  /** Runs `fn` on the next network tick. */
  later(fn: () => void): void {
    this.laterQueue.push(fn);
    this.schedule();
  }

  /** Lets the network run `ticks` ticks (deliveries happen only in ticks). */
  run(ticks: number): Promise<void> {
    return new Promise((resolve) => {
      this.tickWaiters.push({ ticks, resolve });
      this.schedule();
    });
  }

  /**
   * Resolves once a tick finds nothing in flight: every write delivered and
   * everything the receivers did in reaction (their microtasks) done too.
   */
  settle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.tickScheduled) return;
    if (this.pending === 0 && this.idleWaiters.length === 0 && this.tickWaiters.length === 0) return;
    this.tickScheduled = true;
    setImmediate(() => this.tick());
  }

  private tick(): void {
    this.tickScheduled = false;
    this.stats.ticks++;
    // Waiters resolve at the start of a tick that delivers nothing, so that
    // everything the last deliveries set off (their microtasks, however long
    // the promise chains) is done before the waiter goes on.
    const done = this.tickWaiters.filter((w) => w.ticks <= 0);
    if (done.length > 0) {
      this.tickWaiters = this.tickWaiters.filter((w) => w.ticks > 0);
      for (const w of done) w.resolve();
      this.schedule();
      return;
    }
    if (this.pending === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
      this.countDown();
      this.schedule();
      return;
    }
    for (const fn of this.laterQueue.splice(0)) fn();
    // Pipes in random order, at most one delivery each per tick.
    const pipes = [...this.pipes].filter((p) => p.queue.length > 0);
    for (let i = pipes.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [pipes[i], pipes[j]] = [pipes[j]!, pipes[i]!];
    }
    for (const pipe of pipes) {
      if (pipe.pausedTicks > 0) this.stats.heldBack++;
      else this.step(pipe);
    }
    this.countDown();
    this.schedule();
  }

  private countDown(): void {
    for (const w of this.tickWaiters) w.ticks--;
    for (const p of this.pipes) if (p.pausedTicks > 0) p.pausedTicks--;
  }

  private step(pipe: Pipe): void {
    const head = pipe.queue[0]!;
    if (head.hops > 0) {
      head.hops--;
      return;
    }
    this.stats.deliveries++;
    if (head.data !== undefined && head.data.length > 1 && this.random() < this.splitProbability) {
      // Deliver a prefix now, the rest later: the byte stream is the same.
      this.stats.splits++;
      const cut = 1 + this.int(head.data.length - 1);
      const first = head.data.subarray(0, cut);
      head.data = head.data.subarray(cut);
      head.hops = this.int(this.maxHops + 1);
      pipe.to.receive(first);
      return;
    }
    pipe.queue.shift();
    pipe.to.receive(head.data);
    if (head.data === undefined) pipe.from.endDelivered();
    for (const cb of head.callbacks) cb();
  }
}
