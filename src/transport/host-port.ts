// "<host>:<port>" addresses of the TCP-based transports (tcp:, tls:).
import { AddressError, InsecureTransportError } from "../errors.js";

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `rest` of "<scheme>:<host>:<port>"; an empty host is 127.0.0.1, a missing port 0 (any). */
export function parseHostPort(scheme: string, rest: string): HostPort {
  const colon = rest.lastIndexOf(":");
  const host = colon < 0 ? rest : rest.slice(0, colon);
  const port = colon < 0 ? 0 : Number(rest.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AddressError(`bad port in "${scheme}:${rest}"`);
  }
  return { host: host === "" ? "127.0.0.1" : host.replace(/^\[(.*)\]$/, "$1"), port };
}

/** The address form of a host: IPv6 in brackets. */
export function formatHostPort(scheme: string, host: string, port: number): string {
  return `${scheme}:${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** Whether `host` is this machine's loopback (a name, 127/8, ::1, or IPv4 loopback mapped into IPv6). */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(host);
}

/** Refuses plain TCP off loopback unless the caller opted in: the token would cross the network readable. */
export function checkInsecure(what: "dial" | "listen on", host: string, port: number, allowInsecure: boolean | undefined): void {
  if (allowInsecure === true || isLoopback(host)) return;
  throw new InsecureTransportError(
    `refusing to ${what} ${formatHostPort("tcp", host, port)}: plain TCP off this machine sends the token and every message in the clear; use a tls: address, or pass allowInsecure: true to accept that`,
  );
}
