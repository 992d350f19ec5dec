// connect(): the client side of a one-shot server. Presents the token from
// the name, waits for WELCOME, and returns a sender on the bootstrap channel.
import { HandshakeError, ProtocolError } from "../errors.js";
import { toChannelType, type ChannelSpec } from "../channel/channel-type.js";
import { resolveLimits, type ChannelLimits } from "../channel/defaults.js";
import { Sender, SenderCore } from "../channel/sender.js";
import { waitFor, type WaitOptions } from "../channel/wait.js";
import { Connection } from "../connection/connection.js";
import { OutboundRoute } from "../connection/routes.js";
import { transportFor } from "../transport/transport.js";
import "../transport/net-transports.js";
import { parseName } from "../transport/name.js";
import { Kind, NO_TYPE, PROTOCOL_VERSION, splitTypeId } from "../wire/header.js";
import { decodeWelcome, encodeHello } from "./handshake.js";

export interface ConnectOptions extends WaitOptions, Partial<ChannelLimits> {}

/** Connects to the server named `name` and returns a sender to its receiver. */
export async function connect<T>(spec: ChannelSpec<T>, name: string, options: ConnectOptions = {}): Promise<Sender<T>> {
  const type = toChannelType(spec);
  const limits = resolveLimits(options);
  const { address, token } = parseName(name);
  const { transport, rest } = transportFor(address);
  const socket = await transport.dial(rest);
  return waitFor<Sender<T>>("connect", options, (resolve, reject) => {
    const conn: Connection = new Connection(socket, limits, (kind, body) => {
      if (kind === Kind.Error) {
        conn.handshake = undefined;
        reject(new HandshakeError(new TextDecoder().decode(body)));
        conn.end();
        return;
      }
      if (kind !== Kind.Welcome) throw new ProtocolError(`expected WELCOME, got frame kind ${kind}`);
      const welcome = decodeWelcome(body);
      if (welcome.version !== PROTOCOL_VERSION) {
        throw new ProtocolError(`server speaks protocol version ${welcome.version}, expected ${PROTOCOL_VERSION}`);
      }
      conn.handshake = undefined;
      conn.peerMaxFrameSize = welcome.maxFrameSize;
      const route = new OutboundRoute(conn, welcome.bootstrapRoute, type);
      route.sender = new SenderCore(route, welcome.initialWindow);
      resolve(new Sender(route.sender));
    });
    conn.onClose = (err) => {
      if (conn.handshake !== undefined) {
        reject(new HandshakeError(`server closed the connection during the handshake${err ? `: ${err.message}` : ""}`, { cause: err }));
      }
    };
    conn.writeFrame(Kind.Hello, 0, 0, NO_TYPE, encodeHello(splitTypeId(type.typeId), token));
    return () => socket.destroy();
  });
}
