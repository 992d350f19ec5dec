// The process router's socket I/O: direct links between processes are made
// lazily — a process opens a listener (token-protected; by default a fresh
// private Unix socket, over tls: when the request came over tls:) only when
// another process must reach it directly. It runs
// the bootstrap handshakes, so it lives here and is installed into the
// process router by the first connect() or Server, the only ways a process
// gets a link (and so a handle that could need a direct path).
import type { Socket } from "node:net";
import { resolveLimits } from "../routing/defaults.js";
import type { Router, RouterIO } from "../routing/router.js";
import { defaultRouter } from "../routing/process-router.js";
import type { Link } from "../routing/link.js";
import { isLocalAddressInUse, listen, type SecurityOptions } from "../transport/transport.js";
import { formatHostPort, isLoopback } from "../transport/host-port.js";
import { allowInsecureFromEnv, LINK_ADDRESS_ENV, tlsFromEnv } from "./env.js";
import { originOf, recordOrigin } from "./link-origin.js";
import "../transport/net-transports.js";
import { formatName, newToken, parseName } from "../transport/name.js";
import { clientHandshake } from "./client-handshake.js";
import { LINK_ONLY } from "./handshake.js";
import { PendingHandshakes, serverHandshake } from "./server-handshake.js";
import type { Connection } from "../connection/connection.js";

const limits = resolveLimits();

/** Where and how to listen for direct links. */
interface ListenPlan {
  readonly address: string;
  readonly options: SecurityOptions;
}

/**
 * Where to listen when `via` asks for this process's name. A link over tls:
 * (with a certificate this side can present) or over tcp: off loopback gets a
 * listener of the same transport, with the same credentials, on the local
 * address the peer reached this process by. Anything else gets the default:
 * PROTOCHAN_LINK_ADDRESS (default a private Unix socket), with the
 * credentials of the environment.
 */
function planListen(via: Link | undefined): ListenPlan {
  const origin = originOf(via);
  const host = origin?.localHost;
  if (origin !== undefined && host !== undefined) {
    if (origin.scheme === "tls" && origin.options.tls?.cert !== undefined) {
      return { address: formatHostPort("tls", host, 0), options: { tls: origin.options.tls } };
    }
    if (origin.scheme === "tcp" && !isLoopback(host)) {
      return { address: formatHostPort("tcp", host, 0), options: { allowInsecure: origin.options.allowInsecure } };
    }
  }
  return { address: process.env[LINK_ADDRESS_ENV] ?? "unix", options: { tls: tlsFromEnv(), allowInsecure: allowInsecureFromEnv() } };
}

/** How to dial `address` for a REDIRECT that came on `via`: with that link's credentials when the transports match. */
function dialOptions(address: string, via: Link | undefined): SecurityOptions {
  const origin = originOf(via);
  const scheme = address.slice(0, Math.max(0, address.indexOf(":")));
  if (origin?.scheme === scheme) return origin.options;
  return { tls: scheme === "tls" ? tlsFromEnv() : undefined, allowInsecure: allowInsecureFromEnv() };
}

/**
 * The default dial policy: an address of a transport this process already
 * uses, on this machine; or a tls: address named over a TLS link whose peer
 * proved itself with a certificate (the address is then dialed with that
 * link's credentials, so whoever answers must prove itself too).
 */
function defaultPolicy(address: string, via: Link | undefined): boolean {
  if (isLocalAddressInUse(address)) return true;
  const origin = originOf(via);
  return address.startsWith("tls:") && origin?.scheme === "tls" && origin.peerAuthenticated;
}

class NetRouterIO implements RouterIO {
  /** Listeners for direct links, by address and credentials (see planListen). */
  private readonly listeners = new Map<string, Promise<string>>();
  private readonly token = newToken();
  private readonly pending = new PendingHandshakes(16);
  router!: Router;

  listen(via?: Link): Promise<string> {
    const plan = planListen(via);
    const key = `${plan.address}|${idOf(plan.options.tls)}|${plan.options.allowInsecure === true}`;
    let listening = this.listeners.get(key);
    if (listening === undefined) {
      listening = this.start(plan);
      this.listeners.set(key, listening);
      // A failed listen may be retried on the next request.
      listening.catch(() => this.listeners.delete(key));
    }
    return listening;
  }

  private async start(plan: ListenPlan): Promise<string> {
    let address = plan.address;
    const listener = await listen(
      plan.address,
      (socket: Socket) =>
        this.pending.admit((onSettled) =>
          serverHandshake(
            socket,
            this.router,
            { token: this.token, type: LINK_ONLY, typeName: "(router link)", limits, timeoutMs: 10_000 },
            (conn) => {
              conn.closeWhenIdle = false; // a direct link: kept while the processes live (see Connection.routeEnded)
              recordOrigin(conn, socket, address, plan.options);
              return { bootstrapPort: 0 };
            },
            () => {},
            onSettled,
          ),
        ),
      plan.options,
    );
    address = listener.address;
    listener.unref?.();
    return formatName(listener.address, this.token);
  }

  async dial(name: string, via?: Link): Promise<Link> {
    const security = dialOptions(parseName(name).address, via);
    const { conn } = await clientHandshake(this.router, name, LINK_ONLY, limits, { timeoutMs: 10_000 }, security);
    conn.closeWhenIdle = false;
    return conn;
  }

  flushed(link: Link): Promise<void> {
    return (link as Connection).flushed();
  }

  mayDial(name: string, via?: Link): boolean {
    let address: string;
    try {
      address = parseName(name).address;
    } catch {
      return false;
    }
    return dialPolicy === undefined ? defaultPolicy(address, via) : dialPolicy(address);
  }
}

/** Identity of a credentials object, so that two servers with different certificates get two listeners. */
const ids = new WeakMap<object, number>();
let lastId = 0;
function idOf(value: object | undefined): number {
  if (value === undefined) return 0;
  const id = ids.get(value) ?? ++lastId;
  ids.set(value, id);
  return id;
}

let dialPolicy: ((address: string) => boolean) | undefined;

/**
 * Which addresses a peer may make this process dial. When a receiver moves,
 * a peer names the process to send to directly (a REDIRECT), and this process
 * dials it. By default only addresses of transports this process already uses
 * for its own links, on this machine (Unix paths, named pipes, TCP loopback),
 * are dialed, and tls: addresses named over a TLS link whose peer presented a
 * trusted certificate (dialed with that link's credentials); a REDIRECT naming anything else is a protocol error that closes
 * the connection it came on. Pass a predicate over the address (the name
 * without its token) to allow more, e.g. your hosts over TCP; `undefined`
 * restores the default.
 */
export function setDialPolicy(policy: ((address: string) => boolean) | undefined): void {
  dialPolicy = policy;
}

/** This process's router, with the I/O to dial and accept direct router links. */
export function netRouter(): Router {
  const router = defaultRouter();
  if (router.io === undefined) {
    const io = new NetRouterIO();
    io.router = router;
    router.io = io;
  }
  return router;
}
