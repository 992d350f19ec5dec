// OneShotServer: ipc-channel's bootstrap. A server listens under a fresh name
// (address + secret token); the first client that presents the token gets the
// server's receiver, and its first message is handed to accept() with it.
// Connections with a wrong token are refused while the server keeps waiting.
import { EventEmitter } from "node:events";
import type { ChannelSpec } from "../codec/channel-type.js";
import type { Receiver } from "../ends/receiver.js";
import type { WaitOptions } from "../ends/wait.js";
import { Server, type ServerEvents, type ServerOptions } from "./server.js";

export type { ServerOptions } from "./server.js";

export interface Accepted<T> {
  readonly receiver: Receiver<T>;
  /** The first message the client sent. */
  readonly first: T;
}

export class OneShotServer<T> extends EventEmitter<ServerEvents> implements AsyncDisposable {
  private client: Receiver<T> | undefined;

  private constructor(private readonly server: Server<T>) {
    super();
    server.on("rejected", (err) => this.emit("rejected", err));
    server.on("schema-difference", (d) => this.emit("schema-difference", d));
  }

  /** Listens under a fresh name; give `name` to the one client (argv, env, a message). */
  static async create<T>(
    spec: ChannelSpec<T>,
    options: Omit<ServerOptions, "maxClients"> = {},
  ): Promise<{ server: OneShotServer<T>; name: string }> {
    const { server, name } = await Server.create(spec, { ...options, maxClients: 1 });
    return { server: new OneShotServer(server), name };
  }

  /** Waits for the client and its first message (one deadline for both). */
  async accept(options?: WaitOptions): Promise<Accepted<T>> {
    const started = Date.now();
    this.client ??= await this.server.accept(options);
    const timeoutMs = options?.timeoutMs === undefined ? undefined : Math.max(0, options.timeoutMs - (Date.now() - started));
    const first = await this.client.recv({ timeoutMs, signal: options?.signal });
    return { receiver: this.client, first };
  }

  /** Stops listening (a client that already got in keeps its channel). */
  close(): Promise<void> {
    return this.server.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
