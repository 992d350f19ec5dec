// The client half of the handshake: dial, present the token, wait for WELCOME.
import type { Socket } from "node:net";
import { HandshakeError, ProtocolError, SchemaMismatchError } from "../errors.js";
import type { ChannelType } from "../codec/channel-type.js";
import type { SchemaDifference } from "../codec/schema-description.js";
import type { ChannelLimits } from "../routing/defaults.js";
import { waitFor, type WaitOptions } from "../ends/wait.js";
import { Connection } from "../connection/connection.js";
import type { Router } from "../routing/router.js";
import { dial, type SecurityOptions } from "../transport/transport.js";
import { tlsFailure } from "../transport/tls-transport.js";
import { recordOrigin } from "./link-origin.js";
import "../transport/net-transports.js";
import { parseName } from "../transport/name.js";
import { HELLO_FLAG_SCHEMA, Kind, PROTOCOL_VERSION, type TypeIdHalves } from "../wire/header.js";
import { decodeWelcome, encodeHello, type Welcome } from "./handshake.js";

/** Schema negotiation on a client connection. */
export interface ClientSchema {
  /** The bootstrap channel's type, whose shape is negotiated (undefined for a router link). */
  readonly channel?: ChannelType<unknown>;
  /** Hears the differences the server's schema has (at the handshake and later, on its handles' types). */
  readonly onSchemaDifference?: (d: SchemaDifference) => void;
}

/**
 * Dials `name` and runs the handshake, both within the one deadline of
 * `options`; the link remembers how it was made (see link-origin.ts).
 */
export function clientHandshake(
  router: Router,
  name: string,
  type: TypeIdHalves,
  limits: ChannelLimits,
  options: WaitOptions,
  security: SecurityOptions = {},
  schema: ClientSchema = {},
): Promise<{ conn: Connection; welcome: Welcome }> {
  const { address, token } = parseName(name);
  return waitFor("connect", options, (resolve, reject) => {
    let socket: Socket | undefined;
    let gaveUp = false;
    Promise.resolve()
      .then(() => dial(address, security))
      .then((dialled) => {
        if (gaveUp) return void dialled.destroy();
        socket = dialled;
        greet(
          dialled,
          router,
          token,
          type,
          schema,
          limits,
          (done) => {
            recordOrigin(done.conn, dialled, address, security);
            resolve(done);
          },
          reject,
        );
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
  bootstrap: ClientSchema,
  limits: ChannelLimits,
  resolve: (value: { conn: Connection; welcome: Welcome }) => void,
  reject: (err: unknown) => void,
): void {
  let differences: SchemaDifference[] = [];
  const conn: Connection = new Connection(socket, router, limits, (kind, body) => {
    if (kind === Kind.Error) {
      reject(new HandshakeError(new TextDecoder().decode(body)));
      conn.handshake = undefined;
      conn.end();
      return;
    }
    if (kind === Kind.Schema && conn.schemas === undefined) {
      // The server negotiates: ours goes back (our type first), then theirs is compared.
      const schemas = conn.negotiateSchemas();
      schemas.describe([bootstrap.channel], true);
      differences = schemas.receive(body);
      return;
    }
    if (kind !== Kind.Welcome) throw new ProtocolError(`expected WELCOME, got frame kind ${kind}`);
    const welcome = decodeWelcome(body);
    if (welcome.version !== PROTOCOL_VERSION) {
      throw new ProtocolError(`server speaks protocol version ${welcome.version}, expected ${PROTOCOL_VERSION}`);
    }
    conn.established(welcome.node, welcome.maxFrameSize, welcome.initialWindow);
    conn.onSchemaDifference = bootstrap.onSchemaDifference;
    resolve({ conn, welcome });
    for (const d of differences) bootstrap.onSchemaDifference?.(d);
  });
  conn.onClose = (err) => {
    if (conn.handshake !== undefined) {
      if (err instanceof SchemaMismatchError) return reject(err);
      // TLS 1.3: a server refuses a client certificate (or its lack) after the client's handshake is done.
      const tls = tlsFailure(err);
      if (tls !== undefined) return reject(tls);
      reject(new HandshakeError(`server closed the connection during the handshake${err ? `: ${err.message}` : ""}`, { cause: err }));
    }
  };
  conn.writeFrame(
    Kind.Hello,
    0,
    0,
    encodeHello({
      flags: HELLO_FLAG_SCHEMA,
      type,
      token,
      node: router.node,
      window: limits.window,
      maxFrameSize: limits.maxFrameSize,
    }),
  );
}
