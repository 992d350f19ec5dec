// A framed, multiplexed connection over one byte stream: the socket side of a
// router Link. Outgoing frames are encoded straight into one buffer and
// written once per event-loop turn (or when 256 KiB pile up); a large
// zero-copy body is written beside its header without copying. Incoming
// frames are parsed as views and dispatched synchronously. Bad input from the
// peer closes this connection, never the process.
import type { Socket } from "node:net";
import { ConnectionLostError, FrameTooLargeError, ProtocolError, ProtochanError, ResourceLimitError, type EndReason } from "../errors.js";
import { ByteWriter } from "../wire/byte-writer.js";
import { FrameParser } from "../wire/frame-parser.js";
import {
  BOOTSTRAP_ROUTE,
  HANDLE_ENTRY_SIZE,
  HEADER_SIZE,
  Kind,
  NO_TYPE,
  joinTypeId,
  splitTypeId,
  writeHeader,
  type TypeIdHalves,
} from "../wire/header.js";
import type { ChannelType } from "../codec/channel-type.js";
import { windowCharge, type ChannelLimits } from "../routing/defaults.js";
import { decodeEvent, encodeEvent, readHandleTable, writeHandleEntry } from "./routing-frames.js";
import type { HandleEntry, RoutingEvent } from "../routing/events.js";
import { ExportContext, type ExportVia } from "../routing/handles.js";
import { hex } from "../routing/keys.js";
import type { Link } from "../routing/link.js";
import type { InRoute, OutRoute } from "../routing/routes.js";
import { seqOf, type SeqSource } from "../routing/sender-core.js";
import type { Router } from "../routing/router.js";
import type { SchemaDifference } from "../codec/schema-description.js";
import { SchemaNegotiation } from "./schema-negotiation.js";

/** Bodies at least this large are written by reference instead of copied. */
const ZERO_COPY_MIN = 64 * 1024;
/** Flush before the turn ends once this much is buffered. */
const FLUSH_AT = 256 * 1024;
/** Start a fresh buffer for the next frame when less than this is free. */
const SEAL_BELOW = 16 * 1024;
const EMPTY = new Uint8Array(0);
/** The handle table of a MESSAGE that carries none. */
const NO_HANDLES: readonly HandleEntry[] = [];

/** Handles HELLO / WELCOME / ERROR frames while the connection is being set up. */
export type HandshakeHandler = (kind: number, body: Uint8Array) => void;

export class Connection implements Link {
  readonly inbound = new Map<number, InRoute<unknown>>();
  readonly outbound = new Map<number, OutRoute<unknown>>();
  private readonly parser: FrameParser;
  private writer = new ByteWriter();
  /** Bodies of messages that carry handles are encoded here first (the table goes before them). */
  private readonly handleBody = new ByteWriter(4096);
  private handleBodyBusy = false;
  /** A message being encoded in place: in this writer, its frame starting at encodingAt (see setAside). */
  private encodingIn: ByteWriter | undefined;
  private encodingAt = 0;
  private chunks: Uint8Array[] = [];
  /** Bytes in `chunks`, waiting for the next flush. */
  private chunkedBytes = 0;
  private flushScheduled = false;
  private readonly flushNow = () => this.flush();
  private lastRouteId = BOOTSTRAP_ROUTE;
  highestInbound = 1;
  expectedOpens = 0;
  draining = 0;
  unconsumed = 0;
  /** Set until the handshake completes; then frames go to the router. */
  handshake: HandshakeHandler | undefined;
  peer: Uint8Array = EMPTY;
  peerHex = "";
  /** The peer's frame size limit and receive window (from its HELLO or WELCOME). */
  peerMaxFrameSize: number;
  sendWindow: number;
  failure: ProtochanError | undefined;
  private ended = false;
  /** Called once when the connection is gone, cleanly or not. */
  onClose: ((err: ProtochanError | undefined) => void) | undefined;
  readonly stats = { framesIn: 0, bytesIn: 0, framesOut: 0 };
  /** Set when both sides speak schema negotiation (see schema-negotiation.ts). */
  schemas: SchemaNegotiation | undefined;
  /** Hears differences the peer's schema has, found after the handshake (a handle's type). */
  onSchemaDifference: ((d: SchemaDifference) => void) | undefined;

  constructor(
    readonly socket: Socket,
    readonly router: Router,
    readonly limits: ChannelLimits,
    handshake: HandshakeHandler,
  ) {
    this.handshake = handshake;
    this.peerMaxFrameSize = limits.maxFrameSize;
    this.sendWindow = limits.window;
    this.parser = new FrameParser(limits, (h, handles, body) => {
      // After our end (or a failure) the routes are gone: late frames must not make new ones.
      if (this.failure !== undefined || this.ended) return;
      this.stats.framesIn++;
      if (this.handshake !== undefined) this.handshake(h.kind, body);
      else if (h.kind === Kind.Schema && this.schemas !== undefined) this.schemaFrame(body);
      else if (h.kind !== Kind.Message) this.router.accept(this, decodeEvent(h, body));
      else this.router.acceptMessage(this, h, h.handleCount === 0 ? NO_HANDLES : readHandleTable(handles, h.handleCount), body);
    });
    socket.on("data", (chunk: Buffer) => {
      this.stats.bytesIn += chunk.length;
      try {
        this.parser.push(chunk);
      } catch (err) {
        this.fail(asProtocolError(err), "protocol-error");
      }
    });
    socket.on("end", () => this.onPeerEnd());
    socket.on("error", (err) => this.fail(new ConnectionLostError(`connection error: ${err.message}`, { cause: err }), "connection-lost"));
    socket.on("close", () => this.onPeerEnd());
  }

  /** Turns schema negotiation on: the peer said it speaks it. */
  negotiateSchemas(): SchemaNegotiation {
    this.schemas ??= new SchemaNegotiation(
      (body) => this.writeFrame(Kind.Schema, 0, 0, body),
      () => this.flush(),
    );
    return this.schemas;
  }

  private schemaFrame(body: Uint8Array): void {
    for (const d of this.schemas!.receive(body)) this.onSchemaDifference?.(d);
  }

  get recvWindow(): number {
    return this.limits.window;
  }

  get maxRoutes(): number {
    return this.limits.maxRoutes;
  }

  get maxConnectionBytes(): number {
    return this.limits.maxConnectionBytes;
  }

  /** The handshake is done: frames now go to the router. */
  established(peer: Uint8Array, peerMaxFrameSize: number, sendWindow: number): void {
    this.handshake = undefined;
    this.peer = peer;
    this.peerHex = hex(peer);
    this.peerMaxFrameSize = peerMaxFrameSize;
    this.sendWindow = sendWindow;
    this.router.linkUp(this);
  }

  allocRouteId(): number {
    return ++this.lastRouteId;
  }

  // ---- writing ----

  writeMessage<T>(routeId: number, seq: number | SeqSource, channel: ChannelType<T>, value: T, via: ExportVia): number {
    if (channel.handles) return this.writeWithHandles(routeId, seq, channel, value, via);
    const type = halves(channel);
    const raw = channel.codec.zeroCopyBody?.(value);
    if (raw !== undefined && raw.length >= ZERO_COPY_MIN) return this.writeBody(routeId, seqOf(seq), channel, raw);
    this.roomFor(HEADER_SIZE);
    // Encoded in place, behind a header filled in afterwards (see setAside).
    const w = this.writer;
    const start = w.pos;
    w.ensure(HEADER_SIZE);
    w.pos += HEADER_SIZE;
    const outerWriter = this.encodingIn;
    const outerStart = this.encodingAt;
    this.encodingIn = w;
    this.encodingAt = start;
    try {
      channel.codec.encode(value, w);
    } catch (err) {
      w.pos = start;
      throw err;
    } finally {
      this.encodingIn = outerWriter;
      this.encodingAt = outerStart;
    }
    const bodyLength = w.pos - start - HEADER_SIZE;
    if (HEADER_SIZE + bodyLength > this.peerMaxFrameSize) {
      w.pos = start;
      throw this.tooLarge(bodyLength);
    }
    writeHeader(w.view, start, Kind.Message, routeId, bodyLength, seqOf(seq), type);
    if (w !== this.writer) {
      // Frames were written while this one was encoded: it follows them.
      if (this.writer.pos > 0) this.pushChunk(this.writer.take());
      this.pushChunk(w.buf.subarray(start, w.pos));
    }
    this.wrote();
    return windowCharge(bodyLength);
  }

  /**
   * A frame is about to be written while a message is being encoded in place
   * (the codec ran a getter that sends): the frames before that message go to
   * the chunk list and writing goes on in a fresh buffer, so the message,
   * once encoded, follows what was sent from inside it.
   */
  private setAside(): void {
    const w = this.encodingIn;
    if (w === undefined || w !== this.writer) return;
    if (this.encodingAt > 0) this.pushChunk(w.buf.subarray(0, this.encodingAt));
    this.writer = new ByteWriter();
  }

  /** Header, handle table, body: the body is encoded first to learn the table. */
  private writeWithHandles<T>(routeId: number, seq: number | SeqSource, channel: ChannelType<T>, value: T, via: ExportVia): number {
    const ctx = new ExportContext(this, via, this.limits.maxHandles);
    // A send from inside this encoding (a getter) encodes into a body of its own, and is written first.
    const outer = !this.handleBodyBusy;
    const b = outer ? this.handleBody : new ByteWriter(256);
    this.handleBodyBusy = true;
    b.pos = 0;
    try {
      channel.codec.encode(value, b, ctx);
    } finally {
      if (outer) this.handleBodyBusy = false;
    }
    const table = ctx.entries.length * HANDLE_ENTRY_SIZE;
    if (HEADER_SIZE + table + b.pos > this.peerMaxFrameSize) throw this.tooLarge(b.pos);
    const frameSeq = seqOf(seq);
    // The peer learns the shape of a handle's type before the handle.
    if (this.schemas !== undefined) for (const e of ctx.entries) this.schemas.describeId(joinTypeId(e.typeLo, e.typeHi));
    ctx.commit();
    this.roomFor(HEADER_SIZE + table + b.pos);
    const w = this.writer;
    w.ensure(HEADER_SIZE + table + b.pos);
    writeHeader(w.view, w.pos, Kind.Message, routeId, b.pos, frameSeq, halves(channel), ctx.entries.length);
    w.pos += HEADER_SIZE;
    for (const entry of ctx.entries) {
      writeHandleEntry(w.view, w.pos, entry);
      w.pos += HANDLE_ENTRY_SIZE;
    }
    const bodyLength = b.pos;
    w.buf.set(b.buf.subarray(0, bodyLength), w.pos);
    w.pos += bodyLength;
    this.wrote();
    // A moved receiver's queue may be written from here, through this same scratch body.
    for (const after of ctx.after) after();
    return windowCharge(bodyLength, ctx.entries.length);
  }

  writeBody<T>(routeId: number, seq: number, channel: ChannelType<T>, body: Uint8Array): number {
    if (HEADER_SIZE + body.length > this.peerMaxFrameSize) throw this.tooLarge(body.length);
    this.frame(Kind.Message, routeId, seq, halves(channel), body, 0);
    return windowCharge(body.length);
  }

  send(event: RoutingEvent): void {
    // A route of a type the peer has not been told about: its shape goes first.
    if (event.kind === "open") this.schemas?.describeId(joinTypeId(event.type.lo, event.type.hi));
    const f = encodeEvent(event);
    this.frame(f.kind, f.routeId, f.seq, f.type, f.body ?? EMPTY, f.flags);
  }

  /** A frame outside the routing events: the handshake's (HELLO, WELCOME), SCHEMA. */
  writeFrame(kind: Kind, routeId: number, seq: number, body: Uint8Array = EMPTY, flags = 0, typeId?: bigint): void {
    this.frame(kind, routeId, seq, typeId === undefined ? NO_TYPE : splitTypeId(typeId), body, flags);
  }

  private frame(kind: Kind, routeId: number, seq: number, type: TypeIdHalves, body: Uint8Array, flags: number): void {
    if (this.ended) return;
    this.roomFor(HEADER_SIZE + (body.length >= ZERO_COPY_MIN ? 0 : body.length));
    const w = this.writer;
    w.ensure(HEADER_SIZE);
    writeHeader(w.view, w.pos, kind, routeId, body.length, seq, type, 0, flags);
    w.pos += HEADER_SIZE;
    if (body.length >= ZERO_COPY_MIN) {
      this.pushChunk(w.take());
      this.pushChunk(body);
    } else {
      w.bytes(body);
    }
    this.wrote();
  }

  /**
   * Before a frame: if the buffer is nearly full, hand what it holds to the
   * chunk list as is, so growing it never re-copies frames already written.
   */
  private roomFor(frameSize: number): void {
    this.setAside();
    const w = this.writer;
    if (w.pos > 0 && w.buf.length - w.pos < Math.max(frameSize, SEAL_BELOW)) this.pushChunk(w.take());
  }

  private wrote(): void {
    this.stats.framesOut++;
    if (this.writer.pos + this.chunkedBytes >= FLUSH_AT) {
      this.flush();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushNow);
    }
  }

  private pushChunk(c: Uint8Array): void {
    this.chunks.push(c);
    this.chunkedBytes += c.length;
  }

  flush(): void {
    this.flushScheduled = false;
    this.setAside();
    if (this.writer.pos > 0) this.pushChunk(this.writer.take());
    const chunks = this.chunks;
    if (chunks.length === 0 || this.ended) return;
    this.chunks = [];
    this.chunkedBytes = 0;
    if (chunks.length === 1) {
      this.socket.write(chunks[0]!);
    } else {
      this.socket.cork();
      for (const c of chunks) this.socket.write(c);
      this.socket.uncork();
    }
    if (this.socket.writableLength > this.limits.maxWriteBacklog) this.backlogExceeded();
  }

  /**
   * The peer does not read what we write (messages are bounded by windows,
   * but replies to its frames are not): it loses the connection. Failed
   * after the current frame's handling, never from inside the router.
   */
  private backlogExceeded(): void {
    const queued = this.socket.writableLength;
    queueMicrotask(() =>
      this.fail(
        new ResourceLimitError(
          "maxWriteBacklog",
          `peer does not read: ${queued} bytes wait for it (maxWriteBacklog is ${this.limits.maxWriteBacklog})`,
        ),
        "protocol-error",
      ),
    );
  }

  /** Resolves when everything written so far has been handed to the OS. */
  flushed(): Promise<void> {
    this.flush();
    if (this.ended || this.socket.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => this.socket.write(EMPTY, () => resolve()));
  }

  private tooLarge(bodyLength: number): FrameTooLargeError {
    return new FrameTooLargeError(`message of ${bodyLength} bytes exceeds the peer's maximum frame size of ${this.peerMaxFrameSize} bytes`);
  }

  // ---- lifecycle ----

  /**
   * Links made for a one-shot channel close with their last route. Direct
   * links between routers stay (a frame may still be on its way to a route
   * that just ended), but stop keeping the process alive while idle.
   */
  closeWhenIdle = true;
  private idleUnref = false;

  routeEnded(): void {
    const idle = this.inbound.size === 0 && this.outbound.size === 0 && this.expectedOpens === 0 && this.draining === 0;
    if (!idle || this.handshake !== undefined) return;
    if (this.closeWhenIdle) {
      this.end();
    } else if (!this.idleUnref) {
      this.idleUnref = true;
      this.socket.unref?.();
    }
  }

  /** A route started: an idle direct link keeps the process alive again. */
  routeStarted(): void {
    if (!this.idleUnref) return;
    this.idleUnref = false;
    this.socket.ref?.();
  }

  /** Graceful end: flush what is queued, then half-close. */
  end(): void {
    if (this.ended) return;
    this.flush();
    this.ended = true;
    this.socket.end();
    this.closed("closed", undefined);
  }

  /** Fatal: tell the peer why (for protocol errors), drop the socket, fail every route. */
  fail(err: ProtochanError, reason: EndReason): void {
    if (this.failure !== undefined || this.ended) return;
    this.failure = err;
    if (reason === "protocol-error") {
      this.chunks = [];
      this.chunkedBytes = 0;
      this.writer.pos = 0;
      this.frame(Kind.Error, 0, 0, NO_TYPE, new TextEncoder().encode(err.message.slice(0, 1024)), 0);
      this.flush();
    }
    this.ended = true;
    this.socket.end();
    // Give the ERROR frame a moment to leave; destroy regardless.
    setTimeout(() => this.socket.destroy(), 100).unref();
    this.closed(reason, err);
  }

  private onPeerEnd(): void {
    if (this.failure !== undefined || this.ended) return;
    const open = this.inbound.size + this.outbound.size;
    if (open === 0 && this.handshake === undefined) {
      this.end();
      return;
    }
    const what = this.parser.midFrame ? "in the middle of a frame" : `with ${open} channel route(s) open`;
    this.fail(new ConnectionLostError(`peer closed the connection ${what}`), "connection-lost");
  }

  private closed(reason: EndReason, err: ProtochanError | undefined): void {
    if (this.handshake === undefined) this.router.linkLost(this, reason, err);
    const onClose = this.onClose;
    this.onClose = undefined;
    onClose?.(err);
  }
}

function halves(channel: ChannelType<unknown>): TypeIdHalves {
  return channel.wireType;
}

function asProtocolError(err: unknown): ProtochanError {
  if (err instanceof ProtochanError) return err;
  return new ProtocolError(`bad input from peer: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
