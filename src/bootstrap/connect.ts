// connect(): the client side of a one-shot server. Presents the token from
// the name, waits for WELCOME, and returns a sender on the bootstrap channel.
import { toChannelType, type ChannelSpec, type ChannelType } from "../codec/channel-type.js";
import type { SchemaDifference } from "../codec/schema-description.js";
import { resolveLimits, type ChannelLimits } from "../routing/defaults.js";
import { Sender } from "../ends/sender.js";
import { abortedAlready, type WaitOptions } from "../ends/wait.js";
import { globalKey } from "../routing/keys.js";
import { netRouter } from "./net-router.js";
import { clientHandshake } from "./client-handshake.js";
import type { SecurityOptions } from "../transport/transport.js";

/** How long connect() waits for the server, dialling and handshake together, unless told otherwise. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** `tls` gives the CA to check a `tls:` server with (and a client certificate for mutual TLS). */
export interface ConnectOptions extends WaitOptions, Partial<ChannelLimits>, SecurityOptions {
  /**
   * Called when the server's schema differs from this process's in ways the
   * wire tolerates (a field added, removed, or retyped compatibly): for the
   * channel's type at connect, for a handle's type when it first arrives.
   * Incompatible differences are not reported here: connect() rejects, or
   * the connection closes, with a SchemaMismatchError.
   */
  readonly onSchemaDifference?: (difference: SchemaDifference) => void;
}

/**
 * Connects to the server named `name` and returns a sender to its receiver.
 * Dialling and the handshake must be done within `options.timeoutMs`
 * (default 10 s), else it fails with a
 * TimeoutError; `options.signal` aborts it (AbortedError).
 */
export async function connect<T>(spec: ChannelSpec<T>, name: string, options: ConnectOptions = {}): Promise<Sender<T>> {
  const type = toChannelType(spec);
  // Checked before dialing: an aborted connect must not leave a socket behind.
  const early = abortedAlready("connect", options);
  if (early !== undefined) throw early;
  const router = netRouter();
  const wait = { timeoutMs: options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, signal: options.signal };
  const { conn, welcome } = await clientHandshake(
    router,
    name,
    type.wireType,
    resolveLimits(options),
    wait,
    { tls: options.tls, allowInsecure: options.allowInsecure },
    { channel: type as ChannelType<unknown>, onSchemaDifference: options.onSchemaDifference },
  );
  const port = globalKey(welcome.node, welcome.bootstrapPort);
  return new Sender(router.bootstrapSender(conn, type, port, welcome.bootstrapRoute, welcome.initialWindow));
}
