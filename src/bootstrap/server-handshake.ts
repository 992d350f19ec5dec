// The server half of the handshake, shared by every kind of server: the first
// frame must be a HELLO with the right version, token and bootstrap type,
// within a time limit; anything else closes that connection (the server goes
// on listening) with an ERROR frame saying why.
//
// Until the token checks out, the peer is a stranger: its bytes are read
// here, into a buffer of exactly one HELLO frame, and a header announcing
// anything else is refused at once. Only then is a Connection (with its frame
// parser and buffers) made.
import type { Socket } from "node:net";
import { ProtocolError } from "../errors.js";
import { Connection } from "../connection/connection.js";
import type { ChannelLimits } from "../routing/defaults.js";
import type { Router } from "../routing/router.js";
import { tokensEqual } from "../transport/name.js";
import type { ChannelType } from "../codec/channel-type.js";
import type { SchemaDifference } from "../codec/schema-description.js";
import {
  HEADER_SIZE,
  HELLO_FLAG_SCHEMA,
  Kind,
  MAGIC,
  NO_TYPE,
  Off,
  PROTOCOL_VERSION,
  writeHeader,
  type TypeIdHalves,
} from "../wire/header.js";
import { BOOTSTRAP_ROUTE } from "../wire/header.js";
import { HELLO_SIZE, decodeHello, encodeWelcome, type Hello } from "./handshake.js";

export interface HandshakeExpectations {
  readonly token: Uint8Array;
  readonly type: TypeIdHalves;
  readonly typeName: string;
  /** The bootstrap channel's type, whose shape is negotiated with clients that speak it; undefined for router links. */
  readonly channel?: ChannelType<unknown>;
  /** Hears the differences a client's schema has (at the handshake and later, on its handles' types). */
  readonly onSchemaDifference?: (d: SchemaDifference) => void;
  readonly limits: ChannelLimits;
  readonly timeoutMs: number;
}

/** What the server does with a client whose HELLO checked out. */
export type OnClient = (conn: Connection) => { refusal: string } | { bootstrapPort: number };

/** The whole first frame a client may send: header and HELLO body. */
const HELLO_FRAME_SIZE = HEADER_SIZE + HELLO_SIZE;
/** An ERROR frame gets this long to leave before the socket is dropped. */
const LINGER_MS = 100;

/** A handshake under way; `abandon` refuses it (e.g. to make room for a newer one). */
export interface PendingHandshake {
  abandon(reason: string): void;
}

/**
 * Runs the handshake on a fresh socket. `onClient` gets the established
 * connection and may still refuse it; the WELCOME is sent only when it
 * accepts. `onRefused` hears about every refusal; `onSettled` (optional) once
 * the handshake is over either way.
 */
export function serverHandshake(
  socket: Socket,
  router: Router,
  expect: HandshakeExpectations,
  onClient: OnClient,
  onRefused: (err: ProtocolError) => void,
  onSettled?: () => void,
): PendingHandshake {
  let frame: Uint8Array | undefined; // allocated with the first byte, one HELLO frame long
  let filled = 0;
  let settled = false;

  const settle = () => {
    settled = true;
    clearTimeout(timer);
    socket.off("data", onData);
    socket.off("end", onGone);
    socket.off("close", onGone);
    socket.off("error", onGone);
    onSettled?.();
  };
  const refuse = (err: ProtocolError) => {
    if (settled) return;
    settle();
    sendError(socket, err.message);
    onRefused(err);
  };
  const onGone = () => {
    if (settled) return;
    settle();
    socket.destroy();
    onRefused(new ProtocolError("client left during the handshake"));
  };
  const onData = (chunk: Uint8Array) => {
    if (settled) return;
    frame ??= new Uint8Array(HELLO_FRAME_SIZE);
    const before = filled;
    const take = Math.min(HELLO_FRAME_SIZE - filled, chunk.length);
    frame.set(chunk.subarray(0, take), filled);
    filled += take;
    if (before < HEADER_SIZE && filled >= HEADER_SIZE) {
      const bad = checkHelloHeader(frame);
      if (bad !== undefined) return refuse(new ProtocolError(`handshake refused: ${bad}`));
    }
    if (filled < HELLO_FRAME_SIZE) return;
    let hello: Hello;
    try {
      hello = decodeHello(frame.subarray(HEADER_SIZE));
    } catch (err) {
      return refuse(err as ProtocolError);
    }
    const problem = checkHello(hello, expect);
    if (problem !== undefined) return refuse(new ProtocolError(`handshake refused: ${problem}`));
    settle();
    welcome(socket, router, expect, hello, onClient, onRefused, chunk.subarray(take));
  };

  const timer = setTimeout(() => refuse(new ProtocolError(`handshake not completed within ${expect.timeoutMs} ms`)), expect.timeoutMs);
  socket.on("data", onData);
  socket.on("end", onGone);
  socket.on("close", onGone);
  socket.on("error", onGone);
  return { abandon: (reason) => refuse(new ProtocolError(`handshake refused: ${reason}`)) };
}

/**
 * Handshakes under way, oldest first, at most `max`: when full, a newcomer
 * displaces the oldest, so silent or trickling sockets cannot keep the right
 * client out for longer than it takes `max` others to arrive.
 */
export class PendingHandshakes {
  private readonly pending = new Set<PendingHandshake>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.pending.size;
  }

  /** `start` runs the handshake and calls its argument once it is over. */
  admit(start: (onSettled: () => void) => PendingHandshake): void {
    if (this.pending.size >= this.max) {
      this.pending.values().next().value?.abandon("too many handshakes pending; this one was the oldest");
    }
    const handshake = start(() => this.pending.delete(handshake));
    this.pending.add(handshake);
  }
}

/** What is wrong with the first frame's header, if anything: it must be a bare HELLO. */
function checkHelloHeader(frame: Uint8Array): string | undefined {
  const view = new DataView(frame.buffer, frame.byteOffset, HEADER_SIZE);
  if (view.getUint32(Off.magic, true) !== MAGIC) return "not a protochan peer (wrong magic)";
  const version = view.getUint16(Off.version, true);
  if (version !== PROTOCOL_VERSION) return `protocol version ${version}, server speaks ${PROTOCOL_VERSION}`;
  if (view.getUint16(Off.headerSize, true) !== HEADER_SIZE)
    return `header size ${view.getUint16(Off.headerSize, true)}, expected ${HEADER_SIZE}`;
  const kind = view.getUint16(Off.kind, true);
  if (kind !== Kind.Hello) return `expected HELLO, got frame kind ${kind}`;
  const bodyLength = view.getUint32(Off.bodyLength, true);
  if (bodyLength !== HELLO_SIZE) return `HELLO of ${bodyLength} bytes, expected ${HELLO_SIZE}`;
  const handles = view.getUint32(Off.handleCount, true);
  if (handles !== 0) return `HELLO with ${handles} handles`;
  return undefined;
}

function checkHello(hello: Hello, expect: HandshakeExpectations): string | undefined {
  if (hello.version !== PROTOCOL_VERSION) return `protocol version ${hello.version}, server speaks ${PROTOCOL_VERSION}`;
  if (!tokensEqual(hello.token, expect.token)) return "wrong token";
  if (hello.type.lo !== expect.type.lo || hello.type.hi !== expect.type.hi) {
    return `this server's channel carries ${expect.typeName}, the client's another type`;
  }
  return undefined;
}

/**
 * The token checked out: the socket becomes a Connection. A client that
 * speaks schema negotiation gets this side's SCHEMA and must answer with its
 * own before it is welcomed (or refused: SchemaMismatchError).
 */
function welcome(
  socket: Socket,
  router: Router,
  expect: HandshakeExpectations,
  hello: Hello,
  onClient: OnClient,
  onRefused: (err: ProtocolError) => void,
  rest: Uint8Array,
): void {
  let accepted = false;
  let timer: NodeJS.Timeout | undefined;
  const conn = new Connection(socket, router, expect.limits, (kind, body) => {
    if (kind === Kind.Error) throw new ProtocolError(`client refused the handshake: ${new TextDecoder().decode(body)}`);
    if (kind !== Kind.Schema) throw new ProtocolError(`handshake refused: expected SCHEMA, got frame kind ${kind}`);
    clearTimeout(timer);
    const differences = conn.schemas!.receive(body);
    admit();
    if (accepted) for (const d of differences) expect.onSchemaDifference?.(d);
  });
  conn.onClose = (err) => {
    clearTimeout(timer);
    if (!accepted) onRefused(err instanceof ProtocolError ? err : new ProtocolError("client left during the handshake", { cause: err }));
  };
  const admit = () => {
    conn.established(hello.node, hello.maxFrameSize, hello.window);
    const outcome = onClient(conn);
    if ("refusal" in outcome) {
      conn.fail(new ProtocolError(`handshake refused: ${outcome.refusal}`), "protocol-error");
      return;
    }
    accepted = true;
    conn.onClose = undefined;
    conn.onSchemaDifference = expect.onSchemaDifference;
    conn.writeFrame(
      Kind.Welcome,
      0,
      0,
      encodeWelcome({
        version: PROTOCOL_VERSION,
        maxFrameSize: expect.limits.maxFrameSize,
        initialWindow: expect.limits.window,
        bootstrapRoute: BOOTSTRAP_ROUTE,
        node: router.node,
        bootstrapPort: outcome.bootstrapPort,
      }),
    );
  };
  if ((hello.flags & HELLO_FLAG_SCHEMA) !== 0) {
    // Always one SCHEMA (maybe empty): it tells the client this server negotiates.
    conn.negotiateSchemas().describe([expect.channel], true);
    timer = setTimeout(
      () => conn.fail(new ProtocolError(`handshake not completed within ${expect.timeoutMs} ms (no SCHEMA)`), "protocol-error"),
      expect.timeoutMs,
    );
  } else {
    admit();
  }
  // Bytes that came with the HELLO are the connection's first.
  if (rest.length > 0) socket.emit("data", rest);
}

/** Tells a refused client why (one small ERROR frame), then drops it. */
function sendError(socket: Socket, message: string): void {
  const text = new TextEncoder().encode(message.slice(0, 1024));
  const frame = new Uint8Array(HEADER_SIZE + text.length);
  writeHeader(new DataView(frame.buffer), 0, Kind.Error, 0, text.length, 0, NO_TYPE);
  frame.set(text, HEADER_SIZE);
  socket.on("error", () => {}); // a client that is already gone needs no answer
  socket.write(frame);
  socket.end();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
