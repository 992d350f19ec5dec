// The process router's socket I/O: direct links between processes are made
// lazily — a process opens its listener (a fresh private Unix socket,
// token-protected) only when another process must reach it directly. It runs
// the bootstrap handshakes, so it lives here and is installed into the
// process router by the first connect() or Server, the only ways a process
// gets a link (and so a handle that could need a direct path).
import type { Socket } from "node:net";
import { resolveLimits } from "../routing/defaults.js";
import type { Router, RouterIO } from "../routing/router.js";
import { defaultRouter } from "../routing/process-router.js";
import type { Link } from "../routing/link.js";
import { isLocalAddressInUse, listen, type Listener } from "../transport/transport.js";
import "../transport/net-transports.js";
import { formatName, newToken, parseName } from "../transport/name.js";
import { clientHandshake } from "./client-handshake.js";
import { LINK_ONLY } from "./handshake.js";
import { PendingHandshakes, serverHandshake } from "./server-handshake.js";
import type { Connection } from "../connection/connection.js";

const limits = resolveLimits();

class NetRouterIO implements RouterIO {
  private listening: Promise<string> | undefined;
  private listener: Listener | undefined;
  private readonly token = newToken();
  private readonly pending = new PendingHandshakes(16);
  router!: Router;

  listen(): Promise<string> {
    this.listening ??= this.start();
    return this.listening;
  }

  private async start(): Promise<string> {
    this.listener = await listen(process.env.PROTOCHAN_LINK_ADDRESS ?? "unix", (socket: Socket) =>
      this.pending.admit((onSettled) =>
        serverHandshake(
          socket,
          this.router,
          { token: this.token, type: LINK_ONLY, typeName: "(router link)", limits, timeoutMs: 10_000 },
          (conn) => {
            conn.closeWhenIdle = false; // a direct link: kept while the processes live (see Connection.routeEnded)
            return { bootstrapPort: 0 };
          },
          () => {},
          onSettled,
        ),
      ),
    );
    this.listener.unref?.();
    return formatName(this.listener.address, this.token);
  }

  async dial(name: string): Promise<Link> {
    const { conn } = await clientHandshake(this.router, name, LINK_ONLY, limits, { timeoutMs: 10_000 });
    conn.closeWhenIdle = false;
    return conn;
  }

  flushed(link: Link): Promise<void> {
    return (link as Connection).flushed();
  }

  mayDial(name: string): boolean {
    let address: string;
    try {
      address = parseName(name).address;
    } catch {
      return false;
    }
    return (dialPolicy ?? isLocalAddressInUse)(address);
  }
}

let dialPolicy: ((address: string) => boolean) | undefined;

/**
 * Which addresses a peer may make this process dial. When a receiver moves,
 * a peer names the process to send to directly (a REDIRECT), and this process
 * dials it. By default only addresses of transports this process already uses
 * for its own links, on this machine (Unix paths, named pipes, TCP loopback),
 * are dialed; a REDIRECT naming anything else is a protocol error that closes
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
