// A service on a multi-client server, and a client connecting to it. Each
// client has its own call channel, so clients are isolated from each other.
import type { DescService } from "@bufbuild/protobuf";
import { connect, type ConnectOptions } from "../bootstrap/connect.js";
import { Server, type ServerOptions } from "../bootstrap/server.js";
import { CallChannel } from "./envelope.js";
import { createClient } from "./client.js";
import { serve } from "./serve.js";
import type { Client, ServiceImpl } from "./types.js";

export interface ServiceServer {
  /** Give this to clients. */
  readonly name: string;
  /** Stops taking new clients; connected clients keep being served. */
  close(): Promise<void>;
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
  return { name, close: () => server.close() };
}

/** A typed client of the service served under `name`. */
export async function connectService<S extends DescService>(
  service: S,
  name: string,
  options?: ConnectOptions,
): Promise<{ readonly client: Client<S>; close(): void }> {
  const calls = await connect(CallChannel, name, options);
  return { client: createClient(service, calls), close: () => calls.close() };
}
