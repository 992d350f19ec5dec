// A framed, multiplexed connection over one byte stream. Outgoing frames are
// encoded straight into one buffer and written once per event-loop turn (or
// when 256 KiB pile up); a large zero-copy body is written beside its header
// without copying. Incoming frames are dispatched synchronously as views.
// Bad input from the peer closes this connection, never the process.
import type { Socket } from "node:net";
import {
  ConnectionLostError,
  FrameTooLargeError,
  ProtocolError,
  ProtochanError,
  type EndReason,
} from "../errors.js";
import { ByteWriter } from "../wire/byte-writer.js";
import { FrameParser } from "../wire/frame-parser.js";
import { HEADER_SIZE, Kind, NO_TYPE, writeHeader, type FrameHeader, type TypeIdHalves } from "../wire/header.js";
import type { Codec } from "../codec/codec.js";
import type { ChannelLimits } from "../channel/defaults.js";
import type { InboundRoute, OutboundRoute } from "./routes.js";

/** Bodies at least this large are written by reference instead of copied. */
const ZERO_COPY_MIN = 64 * 1024;
/** Flush before the turn ends once this much is buffered. */
const FLUSH_AT = 256 * 1024;
const EMPTY = new Uint8Array(0);

/** Handles HELLO / WELCOME / ERROR frames while the connection is being set up. */
export type HandshakeHandler = (kind: number, body: Uint8Array) => void;

export class Connection {
  readonly inbound = new Map<number, InboundRoute>();
  readonly outbound = new Map<number, OutboundRoute>();
  private readonly parser: FrameParser;
  private readonly writer = new ByteWriter();
  /** For messages encoded now and sent later (held back by flow control). */
  readonly detachedWriter = new ByteWriter(4096);
  private chunks: Uint8Array[] = [];
  private flushScheduled = false;
  private readonly flushNow = () => this.flush();
  /** Set until the handshake completes; then only route frames are allowed. */
  handshake: HandshakeHandler | undefined;
  /** Frame size limit of the peer (from its WELCOME / our own for the server). */
  peerMaxFrameSize: number;
  failure: ProtochanError | undefined;
  private ended = false;
  /** Called once when the connection is gone, cleanly or not. */
  onClose: ((err: ProtochanError | undefined) => void) | undefined;
  /** Frames and bytes received, for diagnostics. */
  readonly stats = { framesIn: 0, bytesIn: 0, framesOut: 0 };

  constructor(
    readonly socket: Socket,
    readonly limits: ChannelLimits,
    handshake: HandshakeHandler,
  ) {
    this.handshake = handshake;
    this.peerMaxFrameSize = limits.maxFrameSize;
    this.parser = new FrameParser(limits, (h, handles, body) => this.onFrame(h, handles, body));
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

  // ---- writing ----

  /** Encodes a MESSAGE frame for `value`; returns its body length. */
  writeMessage<T>(routeId: number, seq: number, type: TypeIdHalves, codec: Codec<T>, value: T): number {
    const raw = codec.zeroCopyBody?.(value);
    if (raw !== undefined && raw.length >= ZERO_COPY_MIN) return this.writeEncoded(routeId, seq, type, raw);
    const w = this.writer;
    const start = w.pos;
    w.ensure(HEADER_SIZE);
    w.pos += HEADER_SIZE;
    try {
      codec.encode(value, w);
    } catch (err) {
      w.pos = start;
      throw err;
    }
    const bodyLength = w.pos - start - HEADER_SIZE;
    if (HEADER_SIZE + bodyLength > this.peerMaxFrameSize) {
      w.pos = start;
      throw this.tooLarge(bodyLength);
    }
    writeHeader(w.view, start, Kind.Message, routeId, bodyLength, seq, type);
    this.wrote();
    return bodyLength;
  }

  /** A MESSAGE frame whose body is already encoded. */
  writeEncoded(routeId: number, seq: number, type: TypeIdHalves, body: Uint8Array): number {
    if (HEADER_SIZE + body.length > this.peerMaxFrameSize) throw this.tooLarge(body.length);
    this.writeFrame(Kind.Message, routeId, seq, type, body);
    return body.length;
  }

  /** Any frame with a small or pre-encoded body. */
  writeFrame(kind: Kind, routeId: number, seq: number, type: TypeIdHalves = NO_TYPE, body: Uint8Array = EMPTY): void {
    if (this.ended) return;
    const w = this.writer;
    w.ensure(HEADER_SIZE);
    writeHeader(w.view, w.pos, kind, routeId, body.length, seq, type);
    w.pos += HEADER_SIZE;
    if (body.length >= ZERO_COPY_MIN) {
      this.chunks.push(w.take(), body);
    } else {
      w.bytes(body);
    }
    this.wrote();
  }

  private wrote(): void {
    this.stats.framesOut++;
    if (this.writer.pos >= FLUSH_AT) {
      this.flush();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushNow);
    }
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.writer.pos > 0) this.chunks.push(this.writer.take());
    const chunks = this.chunks;
    if (chunks.length === 0 || this.ended) return;
    this.chunks = [];
    if (chunks.length === 1) {
      this.socket.write(chunks[0]!);
      return;
    }
    this.socket.cork();
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
  }

  /** Resolves when everything written so far has been handed to the OS. */
  flushed(): Promise<void> {
    this.flush();
    if (this.ended || this.socket.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => this.socket.write(EMPTY, () => resolve()));
  }

  private tooLarge(bodyLength: number): FrameTooLargeError {
    return new FrameTooLargeError(
      `message of ${bodyLength} bytes exceeds the peer's maximum frame size of ${this.peerMaxFrameSize} bytes`,
    );
  }

  // ---- reading ----

  private onFrame(h: FrameHeader, handles: Uint8Array, body: Uint8Array): void {
    if (this.failure !== undefined) return;
    this.stats.framesIn++;
    if (this.handshake !== undefined) {
      this.handshake(h.kind, body);
      return;
    }
    switch (h.kind) {
      case Kind.Message: {
        if (h.handleCount !== 0) throw new ProtocolError("frame carries handles, which this connection does not accept");
        this.inboundRoute(h).onMessage(h, body);
        return;
      }
      case Kind.Close:
        this.inboundRoute(h).onClose(h.seq);
        return;
      case Kind.Credit:
        this.outbound.get(h.routeId)?.onCredit(h.seq);
        return;
      case Kind.Gone:
        this.outbound.get(h.routeId)?.onGone();
        return;
      case Kind.Error:
        throw new ProtocolError(`peer reported an error: ${new TextDecoder().decode(body)}`);
      default:
        throw new ProtocolError(`unexpected frame kind ${h.kind} after the handshake`);
    }
  }

  private inboundRoute(h: FrameHeader): InboundRoute {
    const route = this.inbound.get(h.routeId);
    if (route === undefined) throw new ProtocolError(`frame for unknown route ${h.routeId}`);
    return route;
  }

  // ---- lifecycle ----

  /** A route finished; a connection without routes ends gracefully. */
  routeEnded(): void {
    if (this.handshake === undefined && this.inbound.size === 0 && this.outbound.size === 0) this.end();
  }

  /** Graceful end: flush what is queued, then half-close. */
  end(): void {
    if (this.ended) return;
    this.flush();
    this.ended = true;
    this.socket.end();
    this.closeRoutes("closed", undefined);
  }

  /** Fatal: tell the peer why (for protocol errors), drop the socket, fail every route. */
  fail(err: ProtochanError, reason: EndReason): void {
    if (this.failure !== undefined || this.ended) return;
    this.failure = err;
    if (reason === "protocol-error") {
      this.chunks = [];
      this.writer.pos = 0;
      const msg = new TextEncoder().encode(err.message.slice(0, 1024));
      this.writeFrame(Kind.Error, 0, 0, NO_TYPE, msg);
      this.flush();
    }
    this.ended = true;
    this.socket.end();
    // Give the ERROR frame a moment to leave; destroy regardless.
    setTimeout(() => this.socket.destroy(), 100).unref();
    this.closeRoutes(reason, err);
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

  private closeRoutes(reason: EndReason, err: ProtochanError | undefined): void {
    for (const route of [...this.inbound.values()]) route.onConnectionLost(reason, err);
    for (const route of [...this.outbound.values()]) route.onConnectionLost(reason, err);
    this.inbound.clear();
    this.outbound.clear();
    const onClose = this.onClose;
    this.onClose = undefined;
    onClose?.(err);
  }
}

function asProtocolError(err: unknown): ProtochanError {
  if (err instanceof ProtochanError) return err;
  return new ProtocolError(`bad input from peer: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
