// A service on a multi-client server, and a client connecting to it. Each
// client has its own call channel, so clients are isolated from each other.
import { EventEmitter } from "node:events";
import type { DescService } from "@bufbuild/protobuf";
import { connect, type ConnectOptions } from "../bootstrap/connect.js";
import { Server, type ServerEvents, type ServerOptions } from "../bootstrap/server.js";
import { CallChannel } from "./envelope.js";
import { createClient } from "./client.js";
import { serve } from "./serve.js";
import type { Client, ServiceImpl } from "./types.js";

/** A listening service (from listenService); emits `rejected` for every client refused. */
export interface ServiceServer extends EventEmitter<ServerEvents>, AsyncDisposable {
  /** Give this to clients. */
  readonly name: string;
  /** Stops taking new clients; connected clients keep being served. Idempotent. */
  close(): Promise<void>;
}

/** A client of a listening service (from connectService). */
export interface ServiceConnection<S extends DescService> extends Disposable {
  readonly client: Client<S>;
  /** Closes the call channel: calls in flight are cancelled. Idempotent. */
  close(): void;
}

/** Serves `impl` to every client that connects with the returned name. */
export async function listenService<S extends DescService>(
  service: S,
  impl: Partial<ServiceImpl<S>>,
  options?: ServerOptions,
): Promise<ServiceServer> {
  const { server, name } = await Server.create(CallChannel, options);
  void (async () => {
    for await (const calls of server) void serve(service, calls, impl);
  })();
  const close = () => server.close();
  const listening: ServiceServer = Object.assign(new EventEmitter<ServerEvents>(), {
    name,
    close,
    [Symbol.asyncDispose]: close,
  });
  server.on("rejected", (err) => listening.emit("rejected", err));
  server.on("schema-difference", (d) => listening.emit("schema-difference", d));
  return listening;
}

/** A typed client of the service served under `name`. */
export async function connectService<S extends DescService>(
  service: S,
  name: string,
  options?: ConnectOptions,
): Promise<ServiceConnection<S>> {
  const calls = await connect(CallChannel, name, options);
  // Plain functions, so `const { client, close } = await connectService(…)` works.
  const close = () => calls.close();
  return { client: createClient(service, calls), close, [Symbol.dispose]: close };
}
