// The client half of the handshake: dial, present the token, wait for WELCOME.
import type { Socket } from "node:net";
import { HandshakeError, ProtocolError } from "../errors.js";
import type { ChannelLimits } from "../routing/defaults.js";
import { waitFor, type WaitOptions } from "../ends/wait.js";
import { Connection } from "../connection/connection.js";
import type { Router } from "../routing/router.js";
import { dial } from "../transport/transport.js";
import "../transport/net-transports.js";
import { parseName } from "../transport/name.js";
import { Kind, PROTOCOL_VERSION, type TypeIdHalves } from "../wire/header.js";
import { decodeWelcome, encodeHello, type Welcome } from "./handshake.js";

/** Dials `name` and runs the handshake, both within the one deadline of `options`. */
export function clientHandshake(
  router: Router,
  name: string,
  type: TypeIdHalves,
  limits: ChannelLimits,
  options: WaitOptions,
): Promise<{ conn: Connection; welcome: Welcome }> {
  const { address, token } = parseName(name);
  return waitFor("connect", options, (resolve, reject) => {
    let socket: Socket | undefined;
    let gaveUp = false;
    Promise.resolve()
      .then(() => dial(address))
      .then((dialled) => {
        if (gaveUp) return void dialled.destroy();
        socket = dialled;
        greet(dialled, router, token, type, limits, resolve, reject);
      }, reject);
    return () => {
      gaveUp = true;
      socket?.destroy();
    };
  });
}

function greet(
  socket: Socket,
  router: Router,
  token: Uint8Array,
  type: TypeIdHalves,
  limits: ChannelLimits,
  resolve: (value: { conn: Connection; welcome: Welcome }) => void,
  reject: (err: unknown) => void,
): void {
  const conn: Connection = new Connection(socket, router, limits, (kind, body) => {
    if (kind === Kind.Error) {
      reject(new HandshakeError(new TextDecoder().decode(body)));
      conn.handshake = undefined;
      conn.end();
      return;
    }
    if (kind !== Kind.Welcome) throw new ProtocolError(`expected WELCOME, got frame kind ${kind}`);
    const welcome = decodeWelcome(body);
    if (welcome.version !== PROTOCOL_VERSION) {
      throw new ProtocolError(`server speaks protocol version ${welcome.version}, expected ${PROTOCOL_VERSION}`);
    }
    conn.established(welcome.node, welcome.maxFrameSize, welcome.initialWindow);
    resolve({ conn, welcome });
  });
  conn.onClose = (err) => {
    if (conn.handshake !== undefined) {
      reject(new HandshakeError(`server closed the connection during the handshake${err ? `: ${err.message}` : ""}`, { cause: err }));
    }
  };
  conn.writeFrame(
    Kind.Hello,
    0,
    0,
    encodeHello({ type, token, node: router.node, window: limits.window, maxFrameSize: limits.maxFrameSize }),
  );
}
