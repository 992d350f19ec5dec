// How each link was made: over which transport, with which credentials, and
// at which local address. The router's direct links follow the link a
// request came on (see net-router.ts): a process reached over tls: listens
// and dials over tls: with the same certificates, at the address the peer
// already reached it by, so direct links between hosts are as protected as
// the links they replace.
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { Link } from "../routing/link.js";
import type { TransportOptions } from "../transport/transport.js";

export interface LinkOrigin {
  /** The transport's scheme ("tls", "tcp", "unix", …). */
  readonly scheme: string;
  /** This process's address on the link's socket (an IP for tcp:/tls:), if it has one. */
  readonly localHost: string | undefined;
  /** The credentials and opt-ins the link was made with. */
  readonly options: Pick<TransportOptions, "tls" | "allowInsecure">;
  /** The peer proved who it is with a certificate this process's CAs trust. */
  readonly peerAuthenticated: boolean;
}

const origins = new WeakMap<Link, LinkOrigin>();

/** Notes how `link` was made, from its socket and the address it was dialed or accepted on. */
export function recordOrigin(link: Link, socket: Socket, address: string, options: TransportOptions): void {
  const colon = address.indexOf(":");
  origins.set(link, {
    scheme: colon < 0 ? address : address.slice(0, colon),
    localHost: socket.localAddress,
    options: { tls: options.tls, allowInsecure: options.allowInsecure },
    peerAuthenticated: (socket as Partial<TLSSocket>).authorized === true,
  });
}

export function originOf(link: Link | undefined): LinkOrigin | undefined {
  return link === undefined ? undefined : origins.get(link);
}
