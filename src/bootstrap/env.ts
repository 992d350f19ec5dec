// Credentials and opt-ins from the environment, for processes started by
// another (workers of a WorkerSet, children given a name): the parent sets
// these variables, and connect() in runWorker and the router's default link
// listener read them. Values are file paths, never key material itself, so
// that keys do not show in the process's environment.
import type { TlsOptions } from "../transport/tls-options.js";

/** A CA file (PEM) to trust besides the system CAs. */
export const TLS_CA_ENV = "PROTOCHAN_TLS_CA";
/** This process's certificate (PEM file): to listen over tls:, or as a client certificate. */
export const TLS_CERT_ENV = "PROTOCHAN_TLS_CERT";
/** The private key (PEM file) of PROTOCHAN_TLS_CERT. */
export const TLS_KEY_ENV = "PROTOCHAN_TLS_KEY";
/** "1": plain tcp: off loopback is allowed (see allowInsecure). */
export const ALLOW_INSECURE_ENV = "PROTOCHAN_ALLOW_INSECURE";
/** Where the router listens for direct links when the link a request came on says nothing better. */
export const LINK_ADDRESS_ENV = "PROTOCHAN_LINK_ADDRESS";

/** The TLS credentials named by the environment, or undefined if none is. */
export function tlsFromEnv(env: NodeJS.ProcessEnv = process.env): TlsOptions | undefined {
  const ca = env[TLS_CA_ENV] || undefined;
  const cert = env[TLS_CERT_ENV] || undefined;
  const key = env[TLS_KEY_ENV] || undefined;
  if (ca === undefined && cert === undefined && key === undefined) return undefined;
  return { ca, cert, key };
}

export function allowInsecureFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[ALLOW_INSECURE_ENV] === "1";
}
