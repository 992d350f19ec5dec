// The server half of the handshake, shared by every kind of server: the first
// frame must be a HELLO with the right version, token and bootstrap type,
// within a time limit; anything else closes that connection (the server goes
// on listening) with an ERROR frame saying why.
import type { Socket } from "node:net";
import { ProtocolError } from "../errors.js";
import { Connection } from "../connection/connection.js";
import type { ChannelLimits } from "../channel/defaults.js";
import type { Router } from "../router/router.js";
import { tokensEqual } from "../transport/name.js";
import { Kind, PROTOCOL_VERSION, type TypeIdHalves } from "../wire/header.js";
import { BOOTSTRAP_ROUTE, decodeHello, encodeWelcome } from "./handshake.js";

export interface HandshakeExpectations {
  readonly token: Uint8Array;
  readonly type: TypeIdHalves;
  readonly typeName: string;
  readonly limits: ChannelLimits;
  readonly timeoutMs: number;
}

/** What the server does with a client whose HELLO checked out. */
export type OnClient = (conn: Connection) => { refusal: string } | { bootstrapPort: number };

/**
 * Runs the handshake on a fresh socket. `onClient` gets the established
 * connection and may still refuse it; the WELCOME is sent only when it
 * accepts. `onRefused` hears about every refusal.
 */
export function serverHandshake(
  socket: Socket,
  router: Router,
  expect: HandshakeExpectations,
  onClient: OnClient,
  onRefused: (err: ProtocolError) => void,
): void {
  let accepted = false;
  const timer = setTimeout(
    () => conn.fail(new ProtocolError(`handshake not completed within ${expect.timeoutMs} ms`), "protocol-error"),
    expect.timeoutMs,
  );
  const conn: Connection = new Connection(socket, router, expect.limits, (kind, body) => {
    clearTimeout(timer);
    if (kind !== Kind.Hello) throw new ProtocolError(`handshake refused: expected HELLO, got frame kind ${kind}`);
    const hello = decodeHello(body);
    if (hello.version !== PROTOCOL_VERSION) {
      throw new ProtocolError(`handshake refused: protocol version ${hello.version}, server speaks ${PROTOCOL_VERSION}`);
    }
    if (!tokensEqual(hello.token, expect.token)) throw new ProtocolError("handshake refused: wrong token");
    if (hello.type.lo !== expect.type.lo || hello.type.hi !== expect.type.hi) {
      throw new ProtocolError(`handshake refused: this server's channel carries ${expect.typeName}, the client's another type`);
    }
    conn.established(hello.node, hello.maxFrameSize, hello.window);
    const outcome = onClient(conn);
    if ("refusal" in outcome) throw new ProtocolError(`handshake refused: ${outcome.refusal}`);
    accepted = true;
    const welcome = encodeWelcome({
      version: PROTOCOL_VERSION,
      maxFrameSize: expect.limits.maxFrameSize,
      initialWindow: expect.limits.window,
      bootstrapRoute: BOOTSTRAP_ROUTE,
      node: router.node,
      bootstrapPort: outcome.bootstrapPort,
    });
    conn.writeFrame(Kind.Welcome, 0, 0, welcome);
  });
  conn.onClose = (err) => {
    clearTimeout(timer);
    if (!accepted) onRefused(err instanceof ProtocolError ? err : new ProtocolError("client left during the handshake", { cause: err }));
  };
}
