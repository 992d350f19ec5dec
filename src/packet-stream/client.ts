// The consumer side of a packet stream. connect() opens a one-shot server of
// its own for the data channel (its window is the buffer bound), tells the
// packet server its name over the control channel, and waits for the
// producer's OPEN. Packets are handed out from the batch at hand and from
// batches already queued, without waiting whenever any is buffered; the end
// of the stream is told apart by how it came (docs/packet-streaming.md).
import { OneShotServer } from "../bootstrap/one-shot-server.js";
import { connect } from "../bootstrap/connect.js";
import type { Receiver } from "../ends/receiver.js";
import type { Sender } from "../ends/sender.js";
import { abortedAlready, type WaitOptions } from "../ends/wait.js";
import { AbortedError, DisconnectedError, InvalidArgumentError, ProtochanError, ReceiverGoneError, TimeoutError } from "../errors.js";
import type { PacketViewBase, PacketViewClass } from "../packet/view.js";
import { HEADER_SIZE } from "../wire/header.js";
import { controlChannel, dataChannel, type DataMessage, type StreamHello } from "./channels.js";
import { defaultPacketType, type DefaultPacket } from "./default-type.js";
import { PacketDecodeError, PacketProducerLostError } from "./errors.js";
import { PacketFormat, type ReceivedBatch } from "./format.js";

export interface PacketClientOptions extends WaitOptions {
  /**
   * How many batches of up to maxBatchBytes may wait here unconsumed (default
   * 8): the data channel's flow-control window is maxBufferedBatches ×
   * (maxBatchBytes + 40) bytes, and a producer that is that far ahead waits.
   */
  readonly maxBufferedBatches?: number;
  /** Largest batch body accepted (default 1 MiB); the producer's batches must fit. */
  readonly maxBatchBytes?: number;
  /** Where the client's data server listens (default "unix"). */
  readonly address?: string;
}

export interface PacketClientTypedOptions<V extends PacketViewBase> extends PacketClientOptions {
  /** The generated view class of the packet type (default: protochan.v1.Packet's PacketView). */
  readonly packetType: PacketViewClass<V>;
}

const DEFAULT_MAX_BATCH_BYTES = 1 << 20;
const DEFAULT_BUFFERED_BATCHES = 8;

export class PacketClient<V extends PacketViewBase> implements AsyncIterable<V>, Disposable {
  private current: ReceivedBatch<V> | undefined;
  private pos = 0;
  private ended = false;
  private failure: Error | undefined;
  /** The receive operation in progress, if any: operations run one at a time. */
  private pending: Promise<unknown> | undefined;

  private constructor(
    private readonly rx: Receiver<DataMessage<V>>,
    /** @internal How packets are laid out in batches. */ readonly format: PacketFormat<V>,
  ) {}

  /** Connects to the packet server named `name` and waits until its producer has opened the stream. */
  static connect(name: string, options?: PacketClientOptions): Promise<PacketClient<DefaultPacket>>;
  static connect<V extends PacketViewBase>(name: string, options: PacketClientTypedOptions<V>): Promise<PacketClient<V>>;
  static async connect<V extends PacketViewBase>(
    name: string,
    options: PacketClientOptions & { readonly packetType?: PacketViewClass<V> } = {},
  ): Promise<PacketClient<V>> {
    const type = options.packetType ?? (defaultPacketType() as unknown as PacketViewClass<V>);
    const format = new PacketFormat(type);
    const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    const buffered = options.maxBufferedBatches ?? DEFAULT_BUFFERED_BATCHES;
    if (!(Number.isInteger(buffered) && buffered >= 1))
      throw new InvalidArgumentError(`maxBufferedBatches must be a positive integer, got ${buffered}`);
    if (!(Number.isInteger(maxBatchBytes) && maxBatchBytes >= 16 && maxBatchBytes + HEADER_SIZE <= 0xffffffff)) {
      throw new InvalidArgumentError(`maxBatchBytes must be an integer in 16..2^32-41, got ${maxBatchBytes}`);
    }
    const window = Math.min(0xffffffff, buffered * (maxBatchBytes + HEADER_SIZE));
    const started = Date.now();
    // Ends our own waits once connect() is decided (e.g. the accept a lost producer left pending).
    const done = new AbortController();
    const signal = options.signal === undefined ? done.signal : AbortSignal.any([options.signal, done.signal]);
    const left = (): WaitOptions => ({
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: Math.max(1, options.timeoutMs - (Date.now() - started)) }),
      signal,
    });
    const { server, name: dataName } = await OneShotServer.create(dataChannel(format), {
      window,
      maxFrameSize: maxBatchBytes + HEADER_SIZE,
      ...(options.address === undefined ? {} : { address: options.address }),
    });
    let control: Sender<StreamHello> | undefined;
    try {
      const tx = await connect(controlChannel(format.typeName), name, left());
      control = tx;
      tx.send({ dataName, maxBatchBytes });
      // The producer keeps the control channel until it has opened the data
      // channel: losing it before means the producer died.
      const lost = tx.receiverGone.then((gone) => (gone.reason === "closed" ? new Promise<never>(() => {}) : Promise.reject(gone)));
      lost.catch(() => {}); // observed by the race below, or too late to matter
      const accepting = server.accept(left());
      accepting.catch(() => {}); // observed by the race below; aborted in finally if it lost
      const { receiver, first } = await Promise.race([accepting, lost]);
      if (first.kind !== "open") {
        receiver.close();
        throw new PacketDecodeError(`packet stream of ${format.typeName}: the producer's first message is not OPEN`);
      }
      return new PacketClient(receiver, format);
    } catch (err) {
      throw mapEnd(err, format.typeName, "while opening the stream");
    } finally {
      done.abort();
      control?.close();
      await server.close();
    }
  }

  /**
   * Up to `max` packets. Returns at once with what is buffered (the rest of
   * the current batch, then batches already received) if anything is;
   * otherwise waits for the next batch. Returns null after the explicit end of
   * stream once everything is drained. Rejects with PacketProducerLostError if
   * the producer died or closed without ending, PacketDecodeError on a corrupt
   * batch (packets before either are delivered first); TimeoutError /
   * AbortedError per `options`.
   */
  receivePackets(max: number, options?: WaitOptions): Promise<V[] | null> {
    checkMax(max);
    const early = abortedAlready("receivePackets", options);
    if (early !== undefined) return Promise.reject(early);
    if (this.pending === undefined) {
      const got = this.takeBuffered(max);
      if (got.length > 0) return Promise.resolve(got);
      if (this.ended) return Promise.resolve(null);
      if (this.failure !== undefined) return Promise.reject(this.failure);
    }
    return this.serialize(() => this.waitPackets(max, options));
  }

  /** Up to `max` buffered packets without waiting: [] if none is buffered yet, null after a clean end; throws like receivePackets(). */
  tryReceivePackets(max: number): V[] | null {
    checkMax(max);
    const got = this.takeBuffered(max);
    if (got.length > 0) return got;
    if (this.ended) return null;
    if (this.failure !== undefined) throw this.failure;
    return [];
  }

  /**
   * The next batch as sent (or the rest of the current one, if receivePackets()
   * took part of it); null after a clean end. Zero-copy: views are made as
   * you call get() or iterate.
   */
  receiveBatch(options?: WaitOptions): Promise<ReceivedBatch<V> | null> {
    const early = abortedAlready("receiveBatch", options);
    if (early !== undefined) return Promise.reject(early);
    return this.serialize(async () => {
      for (;;) {
        const cur = this.current;
        if (cur !== undefined && this.pos < cur.length) {
          const rest = this.pos === 0 ? cur : cur.rest(this.pos);
          this.current = undefined;
          return rest;
        }
        if (this.pull()) continue;
        if (this.ended) return null;
        if (this.failure !== undefined) throw this.failure;
        await this.waitMessage(options);
      }
    });
  }

  /** Every packet until the clean end (then the loop ends); throws the errors of receivePackets(). */
  async *[Symbol.asyncIterator](): AsyncIterator<V> {
    for (;;) {
      const batch = await this.receiveBatch();
      if (batch === null) return;
      yield* batch;
    }
  }

  /** Every batch until the clean end. */
  async *batches(): AsyncIterableIterator<ReceivedBatch<V>> {
    for (;;) {
      const batch = await this.receiveBatch();
      if (batch === null) return;
      yield batch;
    }
  }

  /** Batches held here: the one being handed out plus those queued (bounded by maxBufferedBatches + 2). */
  get bufferedBatches(): number {
    const cur = this.current !== undefined && this.pos < this.current.length ? 1 : 0;
    return cur + (this.rx.closed ? 0 : this.rx.queued);
  }

  /** True after the clean end has been received. */
  get endReceived(): boolean {
    return this.ended;
  }

  /** Stops receiving: the producer's next send fails with ReceiverGoneError. */
  close(): void {
    this.rx.close();
    this.current = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // ---- internals ----

  private serialize<R>(op: () => Promise<R>): Promise<R> {
    const run = (this.pending ?? Promise.resolve()).then(op, op);
    const tracked: Promise<unknown> = run.then(
      () => undefined,
      () => undefined,
    );
    this.pending = tracked;
    void tracked.then(() => {
      if (this.pending === tracked) this.pending = undefined;
    });
    return run;
  }

  private async waitPackets(max: number, options: WaitOptions | undefined): Promise<V[] | null> {
    for (;;) {
      const got = this.takeBuffered(max);
      if (got.length > 0) return got;
      if (this.ended) return null;
      if (this.failure !== undefined) throw this.failure;
      await this.waitMessage(options);
    }
  }

  /** Packets from the current batch, then from queued batches, up to max; never waits. */
  private takeBuffered(max: number): V[] {
    let out: V[] | undefined;
    for (;;) {
      const cur = this.current;
      if (cur !== undefined && this.pos < cur.length) {
        const have = out?.length ?? 0;
        const n = Math.min(max - have, cur.length - this.pos);
        if (out === undefined) {
          out = cur.slice(this.pos, this.pos + n);
        } else {
          for (let i = 0; i < n; i++) out.push(cur.at(this.pos + i));
        }
        this.pos += n;
        if (out.length >= max) return out;
      }
      if (!this.pull()) return out ?? [];
    }
  }

  /** Takes the next queued message, if any, without waiting; true if a new batch is current. */
  private pull(): boolean {
    if (this.ended || this.failure !== undefined) return false;
    let m: DataMessage<V> | undefined;
    try {
      m = this.rx.tryRecv();
    } catch (err) {
      this.fail(err);
      return false;
    }
    return m !== undefined && this.handle(m);
  }

  /** Waits for one message and handles it. */
  private async waitMessage(options: WaitOptions | undefined): Promise<void> {
    let m: DataMessage<V>;
    try {
      m = await this.rx.recv(options);
    } catch (err) {
      if (err instanceof TimeoutError || err instanceof AbortedError) throw err;
      this.fail(err);
      return;
    }
    this.handle(m);
  }

  private handle(m: DataMessage<V>): boolean {
    if (m.kind === "batch") {
      this.current = m.batch;
      this.pos = 0;
      return true;
    }
    if (m.kind === "end") {
      this.ended = true;
      this.rx.close(); // nothing may follow the end
      return false;
    }
    this.fail(new PacketDecodeError(`packet stream of ${this.format.typeName}: unexpected ${m.kind.toUpperCase()} message`));
    return false;
  }

  private fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = mapEnd(err, this.format.typeName, "before the end of stream");
    this.rx.close();
  }
}

function checkMax(max: number): void {
  if (!(Number.isInteger(max) && max >= 1)) throw new InvalidArgumentError(`max must be a positive integer, got ${max}`);
}

/** Turns how the data channel ended into the packet stream's error classes. */
function mapEnd(err: unknown, typeName: string, when: string): ProtochanError {
  const what = `packet stream of ${typeName}`;
  if (err instanceof PacketDecodeError || err instanceof PacketProducerLostError) return err;
  if (err instanceof DisconnectedError || err instanceof ReceiverGoneError) {
    const ended = err;
    if (ended.reason === "protocol-error") {
      const inner = findCause(err, PacketDecodeError) ?? (ended.cause instanceof Error ? ended.cause : undefined);
      return new PacketDecodeError(`${what}: ${inner?.message ?? ended.message}`, { cause: err });
    }
    if (ended.reason === "connection-lost") {
      return new PacketProducerLostError("connection-lost", `${what}: the producer's connection was lost ${when}`, { cause: err });
    }
    return new PacketProducerLostError("closed-without-end", `${what}: the producer closed ${when}`, { cause: err });
  }
  if (err instanceof ProtochanError) return err; // a timeout, an abort, a refused handshake …
  return new PacketDecodeError(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

function findCause<E extends Error>(err: unknown, type: abstract new (...args: never[]) => E): E | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof type) return e;
  }
  return undefined;
}
