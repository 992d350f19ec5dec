// Unix domain sockets (default), TCP (loopback unless allowed off it) and Windows named pipes, all through
// node:net. A Unix listener lives in a fresh 0700 directory that is removed
// with it, so its path is neither predictable nor reachable by other users.
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { AddressError } from "../errors.js";
import { registerTransport, type Listener, type Transport } from "./transport.js";
import { tlsTransport } from "./tls-transport.js";
import { checkInsecure, formatHostPort, isLoopback, parseHostPort } from "./host-port.js";

function listenOn(server: Server, target: string | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    const done = () => {
      server.off("error", reject);
      resolve();
    };
    if (typeof target === "string") server.listen(target, done);
    else server.listen(target.port, target.host, done);
  });
}

/**
 * Stops accepting at once. Connections already made stay up, so this does not
 * wait for them (server.close()'s callback would, for as long as they live).
 */
async function closeServer(server: Server): Promise<void> {
  if (server.listening) server.close();
}

function dialSocket(options: { path: string } | { host: string; port: number }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(options);
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
  });
}

/** Private directories of open Unix listeners: removed at exit if still there. */
const privateDirs = new Set<string>();
// Ahead of other exit handlers: one that throws must not keep these on disk.
process.prependOnceListener("exit", () => {
  for (const dir of privateDirs) rmSync(dir, { recursive: true, force: true });
});

async function removeDir(dir: string | undefined): Promise<void> {
  if (dir === undefined) return;
  await rm(dir, { recursive: true, force: true });
  privateDirs.delete(dir);
}

export const unixTransport: Transport = {
  scheme: "unix",
  async listen(rest, onConnection) {
    // A given path is used as is; otherwise a fresh private directory.
    const dir = rest === "" ? await mkdtemp(join(tmpdir(), "protochan-")) : undefined;
    const path = dir === undefined ? rest : join(dir, "s");
    if (dir !== undefined) privateDirs.add(dir);
    const server = createServer({ noDelay: true }, onConnection);
    try {
      await listenOn(server, path);
    } catch (err) {
      await removeDir(dir);
      throw err;
    }
    let closing: Promise<void> | undefined;
    return {
      address: `unix:${path}`,
      unref: () => server.unref(),
      // Every caller waits for the same close, so none returns before the directory is gone.
      close: () =>
        (closing ??= (async () => {
          await closeServer(server);
          await removeDir(dir);
        })()),
    } satisfies Listener;
  },
  dial(rest) {
    if (rest === "") throw new AddressError("unix address needs a path: unix:/path/to/socket");
    return dialSocket({ path: rest });
  },
  isLocal: () => true,
};

export const tcpTransport: Transport = {
  scheme: "tcp",
  async listen(rest, onConnection, options = {}) {
    const target = parseHostPort("tcp", rest);
    checkInsecure("listen on", target.host, target.port, options.allowInsecure);
    const server = createServer({ noDelay: true }, onConnection);
    await listenOn(server, target);
    const bound = server.address();
    const port = typeof bound === "object" && bound !== null ? bound.port : target.port;
    return { address: formatHostPort("tcp", target.host, port), close: () => closeServer(server), unref: () => server.unref() };
  },
  async dial(rest, options = {}) {
    const target = parseHostPort("tcp", rest);
    checkInsecure("dial", target.host, target.port, options.allowInsecure);
    const socket = await dialSocket(target);
    socket.setNoDelay(true);
    return socket;
  },
  isLocal(rest) {
    try {
      return isLoopback(parseHostPort("tcp", rest).host);
    } catch {
      return false;
    }
  },
};

export const pipeTransport: Transport = {
  scheme: "pipe",
  async listen(rest, onConnection) {
    const path = rest === "" ? `\\\\.\\pipe\\protochan-${randomBytes(16).toString("hex")}` : rest;
    const server = createServer(onConnection);
    await listenOn(server, path);
    return { address: `pipe:${path}`, close: () => closeServer(server) };
  },
  dial(rest) {
    return dialSocket({ path: rest });
  },
  isLocal: () => true,
};

registerTransport(unixTransport);
registerTransport(tcpTransport);
registerTransport(pipeTransport);
registerTransport(tlsTransport);
