// The process's router and its socket I/O: direct links between processes
// are made lazily — a process opens its listener (a fresh private Unix
// socket, token-protected) only when another process must reach it directly.
import type { Socket } from "node:net";
import { resolveLimits } from "../channel/defaults.js";
import { Router, type RouterIO } from "../router/router.js";
import type { Link } from "../router/link.js";
import { listen, type Listener } from "../transport/transport.js";
import "../transport/net-transports.js";
import { formatName, newToken } from "../transport/name.js";
import { clientHandshake } from "../bootstrap/client-handshake.js";
import { LINK_ONLY } from "../bootstrap/handshake.js";
import { PendingHandshakes, serverHandshake } from "../bootstrap/server-handshake.js";
import type { Connection } from "./connection.js";

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

let router: Router | undefined;

/** This process's router. */
export function defaultRouter(): Router {
  if (router === undefined) {
    const io = new NetRouterIO();
    router = new Router(io);
    io.router = router;
  }
  return router;
}
