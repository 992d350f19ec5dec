// tls:host:port — TCP with TLS (node:tls) between hosts. The server presents
// its certificate; the client checks it against its CAs and the host it
// dialed, and presents its own when it has one (mutual TLS, which a server
// with requireClientCert demands). The protochan handshake then runs inside
// TLS as over any transport: the token never crosses the network readable.
import type { Socket } from "node:net";
import { isIP } from "node:net";
import { connect as tlsConnect, createServer, type TLSSocket } from "node:tls";
import { ProtocolError, TlsError } from "../errors.js";
import { formatHostPort, isLoopback, parseHostPort } from "./host-port.js";
import { loadTls, serverTls } from "./tls-options.js";
import type { Listener, Transport } from "./transport.js";

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_PENDING = 16;

/** A TLS failure in `err` or its causes (an OpenSSL error, or a certificate check), as a TlsError. */
export function tlsFailure(err: unknown): TlsError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof TlsError) return e;
    const code = (e as { code?: unknown }).code;
    const library = (e as { library?: unknown }).library;
    if ((typeof code === "string" && /^ERR_SSL_|^ERR_TLS_CERT/.test(code)) || library === "SSL routines" || isCertCode(code)) {
      return new TlsError(`TLS handshake failed: ${e.message}`, { cause: e });
    }
  }
  return undefined;
}

/** OpenSSL's certificate verification codes, as node reports them. */
function isCertCode(code: unknown): boolean {
  return typeof code === "string" && /CERT|SELF_SIGNED|UNABLE_TO_|HOSTNAME_MISMATCH|DEPTH_ZERO/.test(code);
}

export const tlsTransport: Transport = {
  scheme: "tls",
  async listen(rest, onConnection, options = {}) {
    const target = parseHostPort("tls", rest);
    const server = createServer({
      ...serverTls(formatHostPort("tls", target.host, target.port), options.tls),
      handshakeTimeout: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    });
    const pending = new PendingTls(options.maxPendingHandshakes ?? DEFAULT_MAX_PENDING);
    server.on("connection", (raw: Socket) => pending.add(raw));
    server.on("secureConnection", (socket: TLSSocket) => {
      pending.done(socket);
      socket.setNoDelay(true);
      onConnection(socket);
    });
    server.on("tlsClientError", (err, socket) => {
      pending.done(socket);
      options.onRefused?.(new ProtocolError(`client refused in the TLS handshake: ${err.message}`, { cause: err }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(target.port, target.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const bound = server.address();
    const port = typeof bound === "object" && bound !== null ? bound.port : target.port;
    return {
      address: formatHostPort("tls", target.host, port),
      // Stops accepting; connections made stay up (as for tcp:).
      close: async () => void (server.listening && server.close()),
      unref: () => server.unref(),
    } satisfies Listener;
  },
  dial(rest, options = {}) {
    const { host, port } = parseHostPort("tls", rest);
    const creds = loadTls(options.tls);
    return new Promise<Socket>((resolve, reject) => {
      const socket = tlsConnect({
        host,
        port,
        ca: creds.ca,
        cert: creds.cert,
        key: creds.key,
        passphrase: creds.passphrase,
        // SNI takes names only; the certificate is checked against the IP itself.
        servername: creds.serverName ?? (isIP(host) === 0 ? host : undefined),
        minVersion: "TLSv1.2",
      });
      socket.once("error", (err) => reject(tlsFailure(err) ?? err));
      socket.once("secureConnect", () => {
        socket.removeAllListeners("error");
        socket.setNoDelay(true);
        resolve(socket);
      });
    });
  },
  isLocal(rest) {
    try {
      return isLoopback(parseHostPort("tls", rest).host);
    } catch {
      return false;
    }
  },
};

/**
 * Sockets in the TLS handshake, oldest first, at most `max`: a newcomer
 * displaces the oldest, so sockets that never finish cannot keep a real
 * client out (each is also cut at the handshake timeout). A TLS socket is
 * matched to its TCP socket by the remote address and port, unique among
 * live connections to one listener.
 */
class PendingTls {
  private readonly sockets = new Map<string, Socket>();

  constructor(private readonly max: number) {}

  add(raw: Socket): void {
    const key = keyOf(raw);
    if (this.sockets.size >= this.max) {
      const [oldestKey, oldest] = this.sockets.entries().next().value as [string, Socket];
      this.sockets.delete(oldestKey);
      oldest.destroy();
    }
    this.sockets.set(key, raw);
    raw.once("close", () => this.sockets.get(key) === raw && this.sockets.delete(key));
  }

  done(socket: Socket): void {
    this.sockets.delete(keyOf(socket));
  }
}

function keyOf(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}
