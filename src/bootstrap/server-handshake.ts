// The server half of the handshake, shared by every kind of server: the first
// frame must be a HELLO with the right version, token and bootstrap type,
// within a time limit; anything else closes that connection (the server goes
// on listening) with an ERROR frame saying why.
import type { Socket } from "node:net";
import { ProtocolError } from "../errors.js";
import { Connection } from "../connection/connection.js";
import type { ChannelLimits } from "../channel/defaults.js";
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

/**
 * Runs the handshake on a fresh socket. `onReady` gets the connection once
 * the HELLO checks out and may refuse it by returning a reason; the WELCOME
 * is sent only when it accepts. `onRefused` hears about every refusal.
 */
export function serverHandshake(
  socket: Socket,
  expect: HandshakeExpectations,
  onReady: (conn: Connection) => string | undefined,
  onRefused: (err: ProtocolError) => void,
): void {
  const timer = setTimeout(
    () => conn.fail(new ProtocolError(`handshake not completed within ${expect.timeoutMs} ms`), "protocol-error"),
    expect.timeoutMs,
  );
  let established = false;
  const conn: Connection = new Connection(socket, expect.limits, (kind, body) => {
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
    conn.handshake = undefined;
    const refusal = onReady(conn);
    if (refusal !== undefined) throw new ProtocolError(`handshake refused: ${refusal}`);
    established = true;
    const welcome = encodeWelcome({
      version: PROTOCOL_VERSION,
      maxFrameSize: expect.limits.maxFrameSize,
      initialWindow: expect.limits.window,
      bootstrapRoute: BOOTSTRAP_ROUTE,
    });
    conn.writeFrame(Kind.Welcome, 0, 0, undefined, welcome);
  });
  conn.onClose = (err) => {
    clearTimeout(timer);
    if (!established) onRefused(err instanceof ProtocolError ? err : new ProtocolError("client left during the handshake", { cause: err }));
  };
}
