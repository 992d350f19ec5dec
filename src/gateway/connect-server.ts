// ConnectServer: a protobuf service served over HTTP/2 to gRPC, gRPC-Web and
// Connect clients, through @connectrpc/connect-node: h2c on loopback TCP or a
// Unix socket, h2 over TLS (ALPN "h2") elsewhere. Plain TCP off loopback is
// refused unless allowInsecure, as for protochan's own tcp: links.
import { EventEmitter } from "node:events";
import { rm } from "node:fs/promises";
import http2 from "node:http2";
import type { DescService } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { AddressError, ListenFailedError, ProtocolError } from "../errors.js";
import { checkInsecure, formatHostPort, parseHostPort } from "../transport/host-port.js";
import { serverTls } from "../transport/tls-options.js";
import { tlsFailure } from "../transport/tls-transport.js";
import type { SecurityOptions } from "../transport/transport.js";
import { connectImpl, type ConnectServerHandlers } from "./handlers.js";

/** The protocols a ConnectServer can speak; it speaks all three unless told otherwise. */
export type ConnectProtocol = "grpc" | "grpc-web" | "connect";

/** Where and how a ConnectServer listens; `tls` and `allowInsecure` as for protochan's own servers. */
export interface ConnectServerOptions extends SecurityOptions {
  /**
   * Where to listen: `"tcp:<host>:<port>"` (port 0: any free one; the
   * default is `"tcp:127.0.0.1:0"`) or `"unix:<path>"`. With `tls`
   * (`cert` and `key` required), TCP speaks h2 over TLS; without, h2c.
   */
  readonly address?: string;
  /** Protocols served (default all three). */
  readonly protocols?: readonly ConnectProtocol[];
  /** Most calls in flight on one HTTP/2 connection (its SETTINGS_MAX_CONCURRENT_STREAMS; default 1000). */
  readonly maxConcurrentStreams?: number;
  /** Longest deadline a caller may ask for, in ms; a longer one is refused with `invalid_argument` (default none). */
  readonly maxTimeoutMs?: number;
}

/** The events of a ConnectServer. */
export interface ConnectServerEvents {
  /** A client refused before any call: a failed TLS handshake (TlsError) or a broken HTTP/2 session (ProtocolError). */
  rejected: [err: Error];
}

const DEFAULT_MAX_STREAMS = 1000;

/**
 * A service served over HTTP/2 to gRPC, gRPC-Web and Connect clients (see
 * docs/network.md). Made by `ConnectServer.listen()`.
 */
export class ConnectServer extends EventEmitter<ConnectServerEvents> implements AsyncDisposable {
  private readonly sessions = new Set<http2.Http2Session>();
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly server: http2.Http2Server | http2.Http2SecureServer,
    /** Where clients connect: `"tcp:<host>:<port>"` (the port bound) or `"unix:<path>"`. */
    readonly address: string,
    /** The base URL for Connect transports (`http://…` or `https://…`; for a Unix socket, `http://localhost`). */
    readonly url: string,
    private readonly socketPath: string | undefined,
  ) {
    super();
    server.on("session", (session) => {
      this.sessions.add(session);
      session.once("close", () => this.sessions.delete(session));
      // An HTTP/2 session broken by its client: that client's loss, reported, never thrown.
      session.on("error", (err) => this.emit("rejected", new ProtocolError(`HTTP/2 session failed: ${err.message}`, { cause: err })));
    });
  }

  /**
   * Serves `handlers` — the ServiceImpl that serve() and workers run, or a
   * WorkerSet, each call then going to an idle worker — to gRPC and Connect
   * clients. Methods without a handler answer `unimplemented`. The server
   * does not own a WorkerSet given to it: close that yourself, after the
   * server.
   */
  static async listen<S extends DescService>(
    service: S,
    handlers: ConnectServerHandlers<S>,
    options: ConnectServerOptions = {},
  ): Promise<ConnectServer> {
    const target = parseAddress(options.address ?? "tcp:127.0.0.1:0");
    const secure = options.tls !== undefined;
    if (target.kind === "tcp" && !secure) checkInsecure("listen on", target.host, target.port, options.allowInsecure);
    const protocols = new Set(options.protocols ?? ["grpc", "grpc-web", "connect"]);
    const handler = connectNodeAdapter({
      routes: (router) => router.service(service, connectImpl(service, handlers)),
      grpc: protocols.has("grpc"),
      grpcWeb: protocols.has("grpc-web"),
      connect: protocols.has("connect"),
      maxTimeoutMs: options.maxTimeoutMs,
    });
    const settings = { maxConcurrentStreams: options.maxConcurrentStreams ?? DEFAULT_MAX_STREAMS };
    let server: http2.Http2Server | http2.Http2SecureServer;
    if (secure) {
      server = http2.createSecureServer(
        {
          ...serverTls(where(target), options.tls),
          settings,
          ALPNProtocols: ["h2"],
        },
        handler,
      );
    } else {
      server = http2.createServer({ settings }, handler);
    }
    await listenOn(server, target);
    let address: string;
    let url: string;
    if (target.kind === "unix") {
      address = `unix:${target.path}`;
      url = "http://localhost";
    } else {
      const bound = server.address();
      const port = typeof bound === "object" && bound !== null ? bound.port : target.port;
      address = formatHostPort("tcp", target.host, port);
      url = `${secure ? "https" : "http"}://${address.slice("tcp:".length)}`;
    }
    const listening = new ConnectServer(server, address, url, target.kind === "unix" ? target.path : undefined);
    server.on("tlsClientError", (err) =>
      listening.emit("rejected", tlsFailure(err) ?? new ProtocolError(`TLS handshake failed: ${err.message}`, { cause: err })),
    );
    return listening;
  }

  /**
   * Stops taking connections and calls; calls in flight finish (they are
   * bounded by their deadlines), then their connections close. A Unix
   * socket file is removed. Idempotent.
   */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      // GOAWAY: clients open no new streams here; running ones finish.
      for (const session of this.sessions) session.close();
    }).then(async () => {
      if (this.socketPath !== undefined) await rm(this.socketPath, { force: true });
    });
    return this.closed;
  }

  /** Calls close(). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

type Target = { kind: "tcp"; host: string; port: number } | { kind: "unix"; path: string };

function parseAddress(address: string): Target {
  const colon = address.indexOf(":");
  const scheme = colon < 0 ? "" : address.slice(0, colon);
  const rest = address.slice(colon + 1);
  if (scheme === "tcp") return { kind: "tcp", ...parseHostPort("tcp", rest) };
  if (scheme === "unix" && rest !== "") return { kind: "unix", path: rest };
  throw new AddressError(`ConnectServer listens on "tcp:<host>:<port>" or "unix:<path>", not "${address}"`);
}

function where(target: Target): string {
  return target.kind === "unix" ? `unix:${target.path}` : formatHostPort("tcp", target.host, target.port);
}

function listenOn(server: http2.Http2Server | http2.Http2SecureServer, target: Target): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (err: Error) => {
      reject(new ListenFailedError(`cannot listen on ${where(target)}: ${err.message}`, { cause: err }));
    };
    server.once("error", failed);
    const done = () => {
      server.off("error", failed);
      resolve();
    };
    if (target.kind === "unix") server.listen(target.path, done);
    else server.listen(target.port, target.host, done);
  });
}
