// A hostile peer for the routing property test: a router outside the cluster
// that connects to one node's control listener (it gets a bootstrap receiver
// there, as any client of a one-shot server does) and then writes raw frames
// that break one resource bound. The node must close that connection, and
// only that one, with a ResourceLimitError naming the bound.
import { AnyChannel } from "../../src/codec/channel-type.js";
import { clientHandshake } from "../../src/bootstrap/client-handshake.js";
import type { Connection } from "../../src/connection/connection.js";
import { encodeOpen } from "../../src/connection/routing-frames.js";
import { windowCharge, type ChannelLimits } from "../../src/routing/defaults.js";
import { globalKey } from "../../src/routing/keys.js";
import { Router } from "../../src/routing/router.js";
import { Kind } from "../../src/wire/header.js";
import type { SimNetwork, SimSocket } from "../helpers/sim-link.js";

export type Attack =
  /** Messages on one route past twice the window, ignoring credit. */
  | "window"
  /** Many parked routes, each within its window, together past maxConnectionBytes. */
  | "bytes"
  /** Continuations that never get a HANDOFF, past maxRoutes or the 4,096 parked ones. */
  | "opens"
  /** Never reads while making the node write GONE after GONE, past maxWriteBacklog. */
  | "backlog";

/** Continuations one connection may park (MAX_WAITING in router.ts). */
const MAX_PARKED = 4096;

/** A msgpack bin32 of `n` zero bytes: a valid untyped message body of n + 5 bytes. */
function binBody(n: number): Uint8Array {
  const body = new Uint8Array(n + 5);
  body[0] = 0xc6;
  new DataView(body.buffer).setUint32(1, n);
  return body;
}

/** The bound an attack must hit under `limits` (the bounds are checked in a fixed order). */
export function expectedLimit(attack: Attack, limits: ChannelLimits): string {
  switch (attack) {
    case "window":
      return limits.maxConnectionBytes >= 3 * limits.window ? "window" : "maxConnectionBytes";
    case "bytes":
      return "maxConnectionBytes";
    case "opens":
      // The bootstrap route counts: the claim past maxRoutes comes before the parking past MAX_PARKED.
      return limits.maxRoutes - 1 <= MAX_PARKED ? "maxRoutes" : "maxParked";
    case "backlog":
      return "maxWriteBacklog";
  }
}

/** Whether the attack is cheap enough to run under `limits` (the default bounds take megabytes to reach). */
export function feasible(attack: Attack, limits: ChannelLimits): boolean {
  switch (attack) {
    case "window":
      return limits.window <= 1 << 20;
    case "bytes":
      return limits.maxConnectionBytes <= 1 << 20;
    case "opens":
      return true;
    case "backlog":
      return limits.maxWriteBacklog <= 1 << 20;
  }
}

/**
 * Connects to `controlName` and runs `attack`; returns the attacker's node id
 * (hex) and socket once its frames are written. The caller lets the network run and then
 * looks for the node's failure on that connection.
 */
export async function attack(
  net: SimNetwork,
  controlName: string,
  kind: Attack,
  limits: ChannelLimits,
): Promise<{ peer: string; socket: SimSocket }> {
  const router = new Router();
  // Its own side must not give up on the flood it writes (the node's bounds are what is tested).
  const own: ChannelLimits = { ...limits, maxWriteBacklog: 0xffffffff };
  const handshake = clientHandshake(router, controlName, AnyChannel.wireType, own, {});
  await net.settle();
  const { conn, welcome } = await handshake;
  const socket = conn.socket as unknown as SimSocket;
  const port = globalKey(welcome.node, welcome.bootstrapPort);
  const w = limits.window;
  switch (kind) {
    case "window": {
      const size = Math.max(16, Math.min(16 * 1024, w >> 2));
      const charge = windowCharge(size + 5);
      for (let seq = 1; (seq - 1) * charge <= 2 * w + charge; seq++) conn.writeBody(welcome.bootstrapRoute, seq, AnyChannel, binBody(size));
      break;
    }
    case "bytes": {
      // Each route stays below 2·W (the per-route bound), together they pass maxConnectionBytes.
      const size = Math.max(16, Math.min(16 * 1024, w >> 2));
      const charge = windowCharge(size + 5);
      const perRoute = Math.max(1, Math.floor((2 * w - 1) / charge));
      const routes = Math.ceil((limits.maxConnectionBytes + 1) / (perRoute * charge)) + 1;
      for (let r = 0; r < routes; r++) {
        const id = openContinuation(conn, router, port);
        for (let seq = 1; seq <= perRoute; seq++) conn.writeBody(id, seq, AnyChannel, binBody(size));
      }
      break;
    }
    case "opens":
      for (let i = 0; i <= Math.min(limits.maxRoutes, MAX_PARKED + 1); i++) openContinuation(conn, router, port);
      break;
    case "backlog": {
      // OPENs for a receiver that does not exist: each is answered with a GONE we never read.
      net.stopReading(socket, 1 << 30);
      const nowhere = globalKey(router.node, 0x7fffffff);
      for (let i = 0; i * 40 <= limits.maxWriteBacklog + 40 * 64; i++) openContinuation(conn, router, nowhere);
      break;
    }
  }
  conn.flush();
  return { peer: router.nodeHex, socket };
}

/** Opens a continuation route (a JOIN with no HANDOFF to come) to `port`; returns its id. */
function openContinuation(conn: Connection, router: Router, port: ReturnType<typeof globalKey>): number {
  const id = conn.allocRouteId();
  const body = encodeOpen({ stream: router.newKey(), base: false, firstSeq: 1, port, join: 1 });
  conn.writeFrame(Kind.Open, id, 0, body, 0, AnyChannel.typeId);
  return id;
}
