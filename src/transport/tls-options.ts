// TLS credentials as the user gives them (file paths or bytes), and their
// loading into what node:tls takes. One set serves both roles, so that the
// router can reuse a link's credentials for the direct links it makes: as a
// server, `cert`/`key` are presented and `ca` checks client certificates; as
// a client, `ca` checks the server and `cert`/`key` are presented if given.
import { readFileSync } from "node:fs";
import { rootCertificates, type TlsOptions as NodeServerTls } from "node:tls";
import { InvalidArgumentError } from "../errors.js";

/** PEM text: a file path (a string), or the PEM bytes themselves. */
export type PemSource = string | Uint8Array;

export interface TlsOptions {
  /**
   * CA certificates (PEM) trusted besides the system ones (see `systemCa`):
   * a client checks the server's certificate against them, a server with
   * `requireClientCert` checks clients' certificates. A file may hold several.
   */
  readonly ca?: PemSource | readonly PemSource[];
  /** This side's certificate chain (PEM): required to listen, optional to dial (mutual TLS). */
  readonly cert?: PemSource;
  /** The private key (PEM) of `cert`. */
  readonly key?: PemSource;
  /** Passphrase of an encrypted `key`. */
  readonly passphrase?: string;
  /** Also trust node's built-in root certificates (default `true`); `false` trusts `ca` alone. */
  readonly systemCa?: boolean;
  /** Server: refuse clients without a certificate signed by `ca` (mutual TLS; default `false`). */
  readonly requireClientCert?: boolean;
  /** Client: the name the server's certificate must carry (default: the host of the address). */
  readonly serverName?: string;
}

/** The credentials in the form node:tls takes (files read once). */
export interface LoadedTls {
  readonly ca: string[] | undefined;
  readonly cert: Buffer | undefined;
  readonly key: Buffer | undefined;
  readonly passphrase: string | undefined;
  readonly requireClientCert: boolean;
  readonly serverName: string | undefined;
}

function read(what: string, source: PemSource): Buffer {
  if (typeof source !== "string") return Buffer.from(source);
  try {
    return readFileSync(source);
  } catch (err) {
    throw new InvalidArgumentError(`cannot read the TLS ${what} file ${source}: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads the files of `options`; a file that cannot be read is an InvalidArgumentError. */
export function loadTls(options: TlsOptions = {}): LoadedTls {
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new InvalidArgumentError("TLS: give both cert and key, or neither");
  }
  const given = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca as PemSource];
  const ca = given.map((c) => read("ca", c).toString("utf8"));
  // node replaces its root certificates with `ca` when given: add them back unless told not to.
  const trusted =
    given.length === 0 && options.systemCa !== false ? undefined : [...(options.systemCa === false ? [] : rootCertificates), ...ca];
  return {
    ca: trusted,
    cert: options.cert === undefined ? undefined : read("cert", options.cert),
    key: options.key === undefined ? undefined : read("key", options.key),
    passphrase: options.passphrase,
    requireClientCert: options.requireClientCert === true,
    serverName: options.serverName,
  };
}

/** What a node:tls (or http2) server takes to listen on `where`: a certificate is required. */
export function serverTls(where: string, options?: TlsOptions): NodeServerTls & { requestCert: boolean; rejectUnauthorized: boolean } {
  const creds = loadTls(options);
  if (creds.cert === undefined || creds.key === undefined) {
    throw new InvalidArgumentError(`listening on ${where} needs a certificate: tls.cert and tls.key`);
  }
  return {
    cert: creds.cert,
    key: creds.key,
    passphrase: creds.passphrase,
    ca: creds.ca,
    requestCert: creds.requireClientCert,
    rejectUnauthorized: creds.requireClientCert,
    minVersion: "TLSv1.2",
  };
}
