// The producer side of a packet stream: a one-shot, token-protected server
// that a PacketClient connects to. The client's first (and only) control
// message names the client's own one-shot server; the producer connects there
// and streams OPEN, batches and END on that data channel, whose per-route
// window is the client's buffer bound (docs/packet-streaming.md).
import { EventEmitter } from "node:events";
import type { Readable } from "node:stream";
import { OneShotServer } from "../bootstrap/one-shot-server.js";
import type { ServerEvents } from "../bootstrap/server.js";
import { connect } from "../bootstrap/connect.js";
import type { ChannelType } from "../codec/channel-type.js";
import type { Sender } from "../ends/sender.js";
import { bounded, type WaitOptions } from "../ends/wait.js";
import { EndpointClosedError, InvalidArgumentError, type ReceiverGoneError } from "../errors.js";
import { PacketSizeError } from "../packet/errors.js";
import type { PacketViewBase, PacketViewClass } from "../packet/view.js";
import { ByteWriter } from "../wire/byte-writer.js";
import { controlChannel, dataChannel, type DataMessage, type StreamHello } from "./channels.js";
import { defaultPacketType, type DefaultPacket } from "./default-type.js";
import { BATCH_HEADER_SIZE, PacketFormat, StreamKind, type RecordLayoutChoice } from "./format.js";

export interface PacketServerOptions {
  /** How batches are laid out on the wire: "auto" (default) trims packets that end in a large bounded bytes/string field. */
  readonly layout?: RecordLayoutChoice;
  /** Where to listen: "unix" (default), "tcp:127.0.0.1:0", … (as OneShotServer). */
  readonly address?: string;
  /** The client must complete its handshake within this time (default 10 s). */
  readonly handshakeTimeoutMs?: number;
}

export interface PacketServerTypedOptions<V extends PacketViewBase> extends PacketServerOptions {
  /** The generated view class of the packet type (default: protochan.v1.Packet's PacketView). */
  readonly packetType: PacketViewClass<V>;
}

/** Emits `rejected` for every client refused (wrong token, wrong packet type, garbage), like OneShotServer. */
export class PacketServer<V extends PacketViewBase> extends EventEmitter<ServerEvents> implements AsyncDisposable {
  private constructor(
    private readonly control: OneShotServer<StreamHello>,
    /** @internal How packets are laid out in batches. */ readonly format: PacketFormat<V>,
    private readonly data: ChannelType<DataMessage<V>>,
  ) {
    super();
    control.on("rejected", (err) => this.emit("rejected", err));
    control.on("schema-difference", (d) => this.emit("schema-difference", d));
  }

  /** Listens under a fresh one-shot name ("<address>#<token>"); give `name` to the one client. */
  static create(options?: PacketServerOptions): Promise<{ server: PacketServer<DefaultPacket>; name: string }>;
  static create<V extends PacketViewBase>(options: PacketServerTypedOptions<V>): Promise<{ server: PacketServer<V>; name: string }>;
  static async create<V extends PacketViewBase>(
    options: PacketServerOptions & { readonly packetType?: PacketViewClass<V> } = {},
  ): Promise<{ server: PacketServer<V>; name: string }> {
    const type = options.packetType ?? (defaultPacketType() as unknown as PacketViewClass<V>);
    const format = new PacketFormat(type, options.layout);
    const { server, name } = await OneShotServer.create(controlChannel(format.typeName), {
      ...(options.address === undefined ? {} : { address: options.address }),
      ...(options.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: options.handshakeTimeoutMs }),
    });
    return { server: new PacketServer(server, format, dataChannel(format)), name };
  }

  /** Waits for the client, then opens the data channel to it. */
  async accept(options?: WaitOptions): Promise<PacketConnection<V>> {
    const started = Date.now();
    const { receiver, first } = await this.control.accept(options);
    // The control channel carries that one message, but stays open until the
    // data channel is: the client takes losing it before then as our death.
    try {
      const left = options?.timeoutMs === undefined ? undefined : Math.max(1, options.timeoutMs - (Date.now() - started));
      const tx = await connect(this.data, first.dataName, {
        ...(left === undefined ? {} : { timeoutMs: left }),
        ...(options?.signal === undefined ? {} : { signal: options.signal }),
      });
      tx.send({ kind: "open" });
      return new PacketConnection(tx, this.format, first.maxBatchBytes);
    } finally {
      receiver.close();
    }
  }

  /** Stops listening (an accepted connection goes on). */
  async close(): Promise<void> {
    await this.control.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * `timeoutMs` bounds each wait for room in the client's buffer (as for send());
 * `signal` stops the pipe at any point, also while the source is producing.
 * Either closes the stream without an end and rejects.
 */
export interface PipeOptions extends WaitOptions {
  /** Most packets per batch (default 1,000). */
  readonly batchSize?: number;
  /** A packet waits at most this long for others to join its batch (default 5 ms). */
  readonly flushIntervalMs?: number;
  /** Send the end of stream when the source is exhausted (default true). */
  readonly end?: boolean;
}

/** Where pipeFrom() takes packets from: an async generator, any (async) iterable, or an object-mode Readable. */
export type PacketSource<V> = AsyncIterable<V> | Iterable<V> | Readable;

const FLUSH = Symbol("flush");

/** An accepted packet stream, producer side. */
export class PacketConnection<V extends PacketViewBase> implements Disposable {
  private ended = false;

  /** @internal */
  constructor(
    private readonly tx: Sender<DataMessage<V>>,
    /** @internal How packets are laid out in batches. */ readonly format: PacketFormat<V>,
    /** The largest batch body the client accepts. */
    readonly maxBatchBytes: number,
  ) {}

  /**
   * Sends `packets` as one batch (one frame), after waiting for room in the
   * client's buffer: the producer is slowed, memory does not grow. The
   * packets are copied out before this resolves; reuse them freely after.
   * Rejects with ReceiverGoneError if the client went away, FrameTooLargeError
   * if the batch exceeds maxBatchBytes.
   */
  async send(packets: Iterable<V>, options?: WaitOptions): Promise<void> {
    this.checkOpen();
    await this.tx.ready(options);
    this.checkOpen();
    this.tx.send({ kind: "packets", packets });
  }

  /** Sends the explicit end of stream and closes; resolves once it is handed to the OS. */
  async end(options?: WaitOptions): Promise<void> {
    this.checkOpen();
    await this.tx.ready(options);
    this.checkOpen();
    this.ended = true;
    this.tx.send({ kind: "end" });
    this.tx.close();
    await this.tx.flush();
  }

  /**
   * Streams every packet of `source` in batches of up to `batchSize` packets
   * (and maxBatchBytes), flushing a partial batch once its first packet has
   * waited `flushIntervalMs`. Backpressure runs end to end: while the client's
   * buffer is full, no packet is pulled from `source` (a Readable stays
   * paused). Then sends the end of stream (unless `end: false`). Returns the
   * number of packets sent. If the source throws, the stream is closed
   * without an end (the client sees PacketProducerLostError).
   */
  async pipeFrom(source: PacketSource<V>, options: PipeOptions = {}): Promise<number> {
    const batchSize = options.batchSize ?? 1000;
    const interval = options.flushIntervalMs ?? 5;
    if (!(Number.isInteger(batchSize) && batchSize >= 1))
      throw new InvalidArgumentError(`batchSize must be a positive integer, got ${batchSize}`);
    if (!(interval >= 0)) throw new InvalidArgumentError(`flushIntervalMs must be >= 0, got ${interval}`);
    this.checkOpen();
    const builder = new BatchBuilder(this.format, this.maxBatchBytes);
    const it = iteratorOf(source);
    let timer: NodeJS.Timeout | undefined;
    let due: Promise<typeof FLUSH> | undefined;
    let total = 0;
    const flush = async () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      due = undefined;
      const batch = builder.take();
      if (batch === undefined) return;
      await this.tx.ready(options);
      this.checkOpen();
      this.tx.send(batch);
    };
    const stop = options.signal === undefined ? undefined : { signal: options.signal };
    try {
      for (;;) {
        const next = bounded("pipeFrom", Promise.resolve(it.next()), stop);
        next.catch(() => {}); // awaited below, unless a flush fails first
        let r = due === undefined ? await next : await Promise.race([next, due]);
        if (r === FLUSH) {
          await flush();
          r = await next;
        }
        if (r.done === true) break;
        if (!builder.fits(r.value)) await flush();
        builder.push(r.value);
        total++;
        if (builder.count >= batchSize) await flush();
        else if (due === undefined) {
          due = new Promise((resolve) => (timer = setTimeout(() => resolve(FLUSH), interval)));
        }
      }
      await flush();
    } catch (err) {
      if (timer !== undefined) clearTimeout(timer);
      // The source's own cleanup may fail; the original error is the one to report.
      const cleanup = Promise.resolve(it.return?.()).catch(() => {});
      // Stopped by the signal mid-pull: an async generator's return() waits for that pull, so do not wait for it.
      if (!options.signal?.aborted) await cleanup;
      if (!this.ended) this.close();
      throw err;
    }
    if (options.end !== false) await this.end();
    return total;
  }

  /** Resolves once the client is gone (closed its end, or its process died). */
  get consumerGone(): Promise<ReceiverGoneError> {
    return this.tx.receiverGone;
  }

  /** Closes without the end of stream: the client sees PacketProducerLostError("closed-without-end"). */
  close(): void {
    this.ended = true;
    this.tx.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private checkOpen(): void {
    if (this.ended) throw new EndpointClosedError("packet stream already ended or closed");
  }
}

/** Accumulates packets in wire form for pipeFrom(); each taken batch gets a buffer of its own. */
class BatchBuilder<V extends PacketViewBase> {
  private readonly w = new ByteWriter(256 * 1024);
  count = 0;

  constructor(
    private readonly format: PacketFormat<V>,
    private readonly maxBytes: number,
  ) {}

  /** Whether `p` fits the batch under construction (an empty batch takes anything that fits at all). */
  fits(p: V): boolean {
    const size = this.format.recordSize(p);
    if (BATCH_HEADER_SIZE + size > this.maxBytes) {
      throw new PacketSizeError(`a ${size}-byte packet does not fit the client's ${this.maxBytes}-byte batch limit`);
    }
    return this.count === 0 || this.w.pos + size <= this.maxBytes;
  }

  push(p: V): void {
    if (this.count === 0) this.format.writeHeader(this.w, StreamKind.Batch, 0);
    this.format.writeRecord(this.w, p);
    this.count++;
  }

  take(): DataMessage<V> | undefined {
    if (this.count === 0) return undefined;
    this.w.view.setUint32(8, this.count, true);
    const body = this.w.take();
    const count = this.count;
    this.count = 0;
    return { kind: "encoded", body, count };
  }
}

function iteratorOf<V>(source: PacketSource<V>): AsyncIterator<V> | Iterator<V> {
  if (Symbol.asyncIterator in source) return (source as AsyncIterable<V>)[Symbol.asyncIterator]();
  return (source as Iterable<V>)[Symbol.iterator]();
}
