// Transports move bytes; everything above them is protochan framing. An
// address is a plain string "<scheme>:<rest>" so it can travel through argv
// or an environment variable.
import type { Socket } from "node:net";
import { AddressError, ConnectFailedError, ListenFailedError, ProtochanError, type ProtocolError } from "../errors.js";
import { redactName } from "./name.js";
import type { TlsOptions } from "./tls-options.js";

/** How a link between hosts is protected: servers, connect() and worker sets take these. */
export interface SecurityOptions {
  /** Credentials for a `tls:` address (see docs/network.md). */
  readonly tls?: TlsOptions;
  /**
   * Allow plain `tcp:` to or on an address that is not loopback (default
   * `false`: refused with InsecureTransportError, since the token and every
   * message would cross the network in the clear).
   */
  readonly allowInsecure?: boolean;
}

/** What a caller may tell a transport besides the address; a transport ignores what it has no use for. */
export interface TransportOptions extends SecurityOptions {
  /** Listening: a client must finish the transport's own handshake (TLS) within this time. */
  readonly handshakeTimeoutMs?: number;
  /** Listening: most clients in the transport's own handshake at once; a newer one displaces the oldest. */
  readonly maxPendingHandshakes?: number;
  /** Listening: a client the transport itself refused (a failed TLS handshake). */
  readonly onRefused?: (err: ProtocolError) => void;
}

export interface Listener {
  /** The address clients dial, e.g. "unix:/tmp/protochan-x1/s" or "tcp:127.0.0.1:4100". */
  readonly address: string;
  /** Stops listening and removes what listen() created (socket file, directory). */
  close(): Promise<void>;
  /** Lets the process exit while this listener is open. */
  unref?(): void;
}

export interface Transport {
  readonly scheme: string;
  /** `rest` is what follows "<scheme>:", or "" to let the transport choose. */
  listen(rest: string, onConnection: (socket: Socket) => void, options?: TransportOptions): Promise<Listener>;
  dial(rest: string, options?: TransportOptions): Promise<Socket>;
  /**
   * Whether `rest` names a peer on this machine (a socket path, a loopback
   * address). A peer may ask this process to dial only such names by default
   * (see setDialPolicy); a transport without it is never dialed on a peer's word.
   */
  isLocal?(rest: string): boolean;
}

const transports = new Map<string, Transport>();
/** Schemes this process has dialed or listened on: the transports its own links use. */
const schemesInUse = new Set<string>();

/**
 * The default dial policy: `address` uses a transport this process already
 * uses for its own links, and names a peer on this machine.
 */
export function isLocalAddressInUse(address: string): boolean {
  const colon = address.indexOf(":");
  const transport = colon < 0 ? undefined : transports.get(address.slice(0, colon));
  return transport !== undefined && schemesInUse.has(transport.scheme) && transport.isLocal?.(address.slice(colon + 1)) === true;
}

/** Makes a transport available to listen()/dial() under its scheme. */
export function registerTransport(transport: Transport): void {
  transports.set(transport.scheme, transport);
}

export function transportFor(address: string): { transport: Transport; rest: string } {
  const colon = address.indexOf(":");
  const scheme = colon < 0 ? address : address.slice(0, colon);
  const transport = transports.get(scheme);
  if (transport === undefined) {
    throw new AddressError(
      `unknown transport "${redactName(scheme)}" in address "${redactName(address)}" (known: ${[...transports.keys()].join(", ")})`,
    );
  }
  return { transport, rest: colon < 0 ? "" : address.slice(colon + 1) };
}

/** Dials `address`; a system error (no such socket, refused …) becomes a ConnectFailedError with it as the cause. */
export async function dial(address: string, options: TransportOptions = {}): Promise<Socket> {
  const { transport, rest } = transportFor(address);
  schemesInUse.add(transport.scheme);
  try {
    return await transport.dial(rest, options);
  } catch (err) {
    if (err instanceof ProtochanError) throw err;
    throw new ConnectFailedError(`cannot connect to ${redactName(address)}: ${messageOf(err)}`, { cause: err });
  }
}

/**
 * Listens on `address`; a system error (in use, no permission …) becomes a
 * ListenFailedError with it as the cause. An address with a "#" is refused:
 * in a server name the "#" starts the token.
 */
export async function listen(address: string, onConnection: (socket: Socket) => void, options: TransportOptions = {}): Promise<Listener> {
  const { transport, rest } = transportFor(address);
  schemesInUse.add(transport.scheme);
  let listener: Listener;
  try {
    listener = await transport.listen(rest, onConnection, options);
  } catch (err) {
    if (err instanceof ProtochanError) throw err;
    throw new ListenFailedError(`cannot listen on ${redactName(address)}: ${messageOf(err)}`, { cause: err });
  }
  if (listener.address.includes("#")) {
    await listener.close();
    throw new AddressError(`cannot serve on ${listener.address}: an address must not contain "#" (it starts the token of a server name)`);
  }
  return listener;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
