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
import { listen, type Listener } from "../transport/transport.js";
import "../transport/net-transports.js";
import { formatName, newToken } from "../transport/name.js";
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
