// OneShotServer: ipc-channel's bootstrap. A server listens under a fresh name
// (address + secret token); the first client that presents the token gets the
// server's receiver, and its first message is handed to accept() with it.
// Connections with a wrong token are refused while the server keeps waiting.
import type { Socket } from "node:net";
import { EventEmitter } from "node:events";
import { EndpointClosedError, type ProtocolError } from "../errors.js";
import { toChannelType, type ChannelSpec, type ChannelType } from "../channel/channel-type.js";
import { resolveLimits, type ChannelLimits } from "../channel/defaults.js";
import { Receiver, ReceiverCore } from "../channel/receiver.js";
import { waitFor, type WaitOptions } from "../channel/wait.js";
import type { Connection } from "../connection/connection.js";
import { defaultRouter } from "../connection/net-router.js";
import { StreamIn } from "../channel/stream.js";
import { InRoute } from "../router/routes.js";
import { globalKey } from "../router/keys.js";
import type { OnClient } from "./server-handshake.js";
import { transportFor, type Listener } from "../transport/transport.js";
import "../transport/net-transports.js";
import { formatName, newToken } from "../transport/name.js";
import { splitTypeId } from "../wire/header.js";
import { BOOTSTRAP_ROUTE } from "./handshake.js";
import { serverHandshake } from "./server-handshake.js";

export interface ServerOptions extends Partial<ChannelLimits> {
  /** Where to listen: "unix" (default: a fresh private socket), "tcp:127.0.0.1:0", "pipe", … */
  readonly address?: string;
  /** A client must complete its handshake within this time (default 10 s). */
  readonly handshakeTimeoutMs?: number;
  /** Most clients in the middle of a handshake at once; more are dropped (default 16). */
  readonly maxPendingHandshakes?: number;
}

export interface Accepted<T> {
  readonly receiver: Receiver<T>;
  /** The first message the client sent. */
  readonly first: T;
}

export interface OneShotServerEvents {
  /** A connection was refused (wrong token, wrong type, garbage, too slow). */
  rejected: [err: ProtocolError];
}

export class OneShotServer<T> extends EventEmitter<OneShotServerEvents> implements AsyncDisposable {
  private receiver: ReceiverCore<T> | undefined;
  private pending = 0;
  private closed = false;
  private readonly arrivals = new Set<() => void>();

  private constructor(
    private readonly type: ChannelType<T>,
    private readonly limits: ChannelLimits,
    private readonly token: Uint8Array,
    private readonly options: ServerOptions,
    private listener?: Listener,
  ) {
    super();
  }

  /** Listens under a fresh name; give `name` to the one client (argv, env, a message). */
  static async create<T>(
    spec: ChannelSpec<T>,
    options: ServerOptions = {},
  ): Promise<{ server: OneShotServer<T>; name: string }> {
    const server = new OneShotServer(toChannelType(spec), resolveLimits(options), newToken(), options);
    const { transport, rest } = transportFor(options.address ?? "unix");
    server.listener = await transport.listen(rest, (socket) => server.onSocket(socket));
    return { server, name: formatName(server.listener.address, server.token) };
  }

  /** Waits for the client and its first message. */
  async accept(options?: WaitOptions): Promise<Accepted<T>> {
    if (this.closed && this.receiver === undefined) throw new EndpointClosedError("server was closed");
    const started = Date.now();
    const core =
      this.receiver ??
      (await waitFor<ReceiverCore<T>>("accept", options, (resolve) => {
        const arrived = () => resolve(this.receiver!);
        this.arrivals.add(arrived);
        return () => this.arrivals.delete(arrived);
      }));
    const timeoutMs = options?.timeoutMs === undefined ? undefined : Math.max(0, options.timeoutMs - (Date.now() - started));
    const first = await core.recv({ timeoutMs, signal: options?.signal });
    return { receiver: new Receiver(core), first };
  }

  /** Stops listening (a client that already got in keeps its channel). */
  async close(): Promise<void> {
    this.closed = true;
    await this.listener?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private onSocket(socket: Socket): void {
    if (this.closed || this.pending >= (this.options.maxPendingHandshakes ?? 16)) {
      socket.destroy();
      return;
    }
    this.pending++;
    serverHandshake(
      socket,
      defaultRouter(),
      {
        token: this.token,
        type: splitTypeId(this.type.typeId),
        typeName: this.type.typeName,
        limits: this.limits,
        timeoutMs: this.options.handshakeTimeoutMs ?? 10_000,
      },
      (conn) => {
        const outcome = this.onClient(conn);
        if (!("refusal" in outcome)) this.pending--; // a refusal is counted by the next callback
        return outcome;
      },
      (err) => {
        this.pending--;
        this.emit("rejected", err);
      },
    );
  }

  private onClient(conn: Connection): ReturnType<OnClient> {
    if (this.receiver !== undefined) return { refusal: "this one-shot server already has its client" };
    const core = new ReceiverCore<T>(this.type);
    const port = conn.router.portOf(core as ReceiverCore<unknown>);
    // The client's bootstrap stream is its stream 0; it needs no OPEN.
    const stream = new StreamIn<T>(globalKey(conn.peer, 0), core, 1);
    core.addStream(stream);
    new InRoute(conn, BOOTSTRAP_ROUTE, stream, this.type, 1);
    this.receiver = core;
    void this.close(); // one-shot: no further clients, socket file removed
    for (const arrived of this.arrivals) arrived();
    this.arrivals.clear();
    return { bootstrapPort: port.serial };
  }
}
