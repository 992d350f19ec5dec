// Server: listens under a name (address + secret token) and gives each client
// that presents the token a receiver of its own. Connections with a wrong
// token, another message type or garbage are refused (event "rejected") and
// the server goes on. OneShotServer is this with a single client.
import type { Socket } from "node:net";
import { EventEmitter } from "node:events";
import { EndpointClosedError, type ProtocolError } from "../errors.js";
import { toChannelType, type ChannelSpec, type ChannelType } from "../codec/channel-type.js";
import type { SchemaDifference } from "../codec/schema-description.js";
import { resolveLimits, type ChannelLimits } from "../routing/defaults.js";
import { Receiver } from "../ends/receiver.js";
import type { ReceiverCore } from "../routing/receiver-core.js";
import { abortedAlready, waitFor, type WaitOptions } from "../ends/wait.js";
import type { Connection } from "../connection/connection.js";
import { netRouter } from "./net-router.js";
import { listen, type Listener, type SecurityOptions, type TransportOptions } from "../transport/transport.js";
import { recordOrigin } from "./link-origin.js";
import "../transport/net-transports.js";
import { formatName, newToken } from "../transport/name.js";
import { PendingHandshakes, serverHandshake, type OnClient } from "./server-handshake.js";

export interface ServerOptions extends Partial<ChannelLimits>, SecurityOptions {
  /**
   * Where to listen: "unix" (default: a fresh private socket),
   * "tcp:127.0.0.1:0", "tls:10.0.0.5:4100" (with `tls.cert` and `tls.key`), "pipe", …
   */
  readonly address?: string;
  /** A client must complete its handshake within this time (default 10 s). */
  readonly handshakeTimeoutMs?: number;
  /**
   * Most clients in the middle of a handshake at once (default 16). A newer
   * one displaces the oldest, which is refused: each costs only its socket
   * until its HELLO (at most one HELLO frame is read from it) checks out.
   */
  readonly maxPendingHandshakes?: number;
  /** Stop listening after this many clients (default: no limit). */
  readonly maxClients?: number;
}

export interface ServerEvents {
  /** A connection was refused (wrong token, wrong type, an incompatible schema — a SchemaMismatchError —, garbage, too slow). */
  rejected: [err: ProtocolError];
  /**
   * A client's schema differs from this process's in ways the wire tolerates
   * (fields added, removed, retyped compatibly): for the channel's type at
   * its handshake, for a handle's type when it first arrives.
   */
  "schema-difference": [difference: SchemaDifference];
}

export class Server<T> extends EventEmitter<ServerEvents> implements AsyncDisposable, AsyncIterable<Receiver<T>> {
  private readonly arrived: Receiver<T>[] = [];
  private readonly waiting = new Set<() => void>();
  private clients = 0;
  private readonly pending: PendingHandshakes;
  private closed = false;
  private closing: Promise<void> | undefined;
  private listener: Listener | undefined;

  private constructor(
    private readonly type: ChannelType<T>,
    private readonly limits: ChannelLimits,
    private readonly token: Uint8Array,
    private readonly options: ServerOptions,
  ) {
    super();
    this.pending = new PendingHandshakes(options.maxPendingHandshakes ?? 16);
  }

  /** Listens under a fresh name; give `name` to clients (argv, env, a message). */
  static async create<T>(spec: ChannelSpec<T>, options: ServerOptions = {}): Promise<{ server: Server<T>; name: string }> {
    const server = new Server(toChannelType(spec), resolveLimits(options), newToken(), options);
    server.listener = await listen(options.address ?? "unix", (socket) => server.onSocket(socket), server.transportOptions());
    return { server, name: formatName(server.listener.address, server.token) };
  }

  /** The next client's receiver (its first message is the first thing it sent). */
  async accept(options?: WaitOptions): Promise<Receiver<T>> {
    const early = abortedAlready("accept", options);
    if (early !== undefined) throw early;
    for (;;) {
      const next = this.arrived.shift();
      if (next !== undefined) return next;
      if (this.closed) throw new EndpointClosedError("server was closed");
      await waitFor<void>("accept", options, (resolve) => {
        this.waiting.add(resolve);
        return () => this.waiting.delete(resolve);
      });
    }
  }

  /** Every client's receiver as it arrives, until the server is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<Receiver<T>> {
    for (;;) {
      try {
        yield await this.accept();
      } catch (err) {
        if (err instanceof EndpointClosedError) return;
        throw err;
      }
    }
  }

  /**
   * Stops listening (clients that got in keep their channels). Every call
   * returns the same promise: it settles once the listener and anything it
   * created (a Unix socket's private directory) are gone.
   */
  close(): Promise<void> {
    this.closed = true;
    this.wakeAll();
    this.closing ??= this.listener?.close() ?? Promise.resolve();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private transportOptions(): TransportOptions {
    const { tls, allowInsecure, handshakeTimeoutMs, maxPendingHandshakes } = this.options;
    return { tls, allowInsecure, handshakeTimeoutMs, maxPendingHandshakes, onRefused: (err) => this.emit("rejected", err) };
  }

  private wakeAll(): void {
    for (const wake of this.waiting) wake();
    this.waiting.clear();
  }

  private onSocket(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.pending.admit((onSettled) =>
      serverHandshake(
        socket,
        netRouter(),
        {
          token: this.token,
          type: this.type.wireType,
          typeName: this.type.typeName,
          channel: this.type as ChannelType<unknown>,
          onSchemaDifference: (d) => this.emit("schema-difference", d),
          limits: this.limits,
          timeoutMs: this.options.handshakeTimeoutMs ?? 10_000,
        },
        (conn) => {
          recordOrigin(conn, socket, this.listener?.address ?? this.options.address ?? "unix", this.options);
          return this.onClient(conn);
        },
        (err) => this.emit("rejected", err),
        onSettled,
      ),
    );
  }

  private onClient(conn: Connection): ReturnType<OnClient> {
    const max = this.options.maxClients ?? Infinity;
    if (this.clients >= max) return { refusal: "this server takes no more clients" };
    this.clients++;
    const core = conn.router.bootstrapReceiver(conn, this.type);
    this.arrived.push(new Receiver(core));
    if (this.clients >= max) void this.close(); // no further clients; a Unix socket file is removed
    this.wakeAll();
    return { bootstrapPort: conn.router.portOf(core as ReceiverCore<unknown>).serial };
  }
}
