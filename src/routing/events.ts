// The routing core's vocabulary: what one router tells another over a link,
// as typed values. The connection layer turns them into frames and back
// (connection/routing-frames.ts); nothing here knows bytes or offsets.
import type { GlobalKey } from "./keys.js";
import type { TypeIdHalves } from "../wire/header.js";

/** A stream opens a route: a new or moved stream (`base`), a clone following its parent, or a continuation. */
export interface Open {
  readonly stream: GlobalKey;
  /** Set: firstSeq is the stream's start at the receiver (a new or moved stream). */
  readonly base: boolean;
  readonly firstSeq: number;
  readonly port: GlobalKey;
  /** A sender clone's stream: the exporter's hold, or the route of the stream whose path it follows. */
  readonly parent?: Parent;
  /** A continuation: the join number of the HANDOFF it continues. */
  readonly join?: number;
}

export type Parent = { readonly hold: number } | { readonly route: number };

/** A stream leaves a route: the rest of it comes by another path, to `target`. */
export interface Handoff {
  readonly target: Uint8Array;
  readonly stream: GlobalKey;
  readonly join: number;
}

/** A router, and the name it can be dialed at ("" when unknown, or in a query). */
export interface NodeAddress {
  readonly node: Uint8Array;
  readonly name: string;
}

export const HandleKind = { Sender: 1, Receiver: 2 } as const;
export type HandleKind = (typeof HandleKind)[keyof typeof HandleKind];

/** One channel end carried by a message. */
export interface HandleEntry {
  readonly kind: HandleKind;
  /** SENDER: its receiver is already gone (no stream will be opened). */
  readonly gone?: boolean;
  readonly port: GlobalKey;
  readonly typeLo: number;
  readonly typeHi: number;
  /** RECEIVER: streams that will be opened to it after this frame. */
  readonly streamCount: number;
  /** SENDER: the exporter's hold, named as the parent by the clone's OPEN. */
  readonly hold: number;
}

/** What a MESSAGE carries besides its handles and body (a frame header has these fields). */
export interface MessageHead {
  readonly routeId: number;
  readonly seq: number;
  readonly typeLo: number;
  readonly typeHi: number;
}

/** Every routing event other than MESSAGE, in and out alike. `route` is the link's route id. */
export type RoutingEvent =
  | { readonly kind: "open"; readonly route: number; readonly type: TypeIdHalves; readonly open: Open }
  | { readonly kind: "close"; readonly route: number; readonly lastSeq: number; readonly lost: boolean }
  | { readonly kind: "handoff"; readonly route: number; readonly lastSeq: number; readonly handoff: Handoff }
  | { readonly kind: "credit"; readonly route: number; readonly bytes: number }
  | { readonly kind: "gone"; readonly route: number; readonly lost: boolean }
  | { readonly kind: "redirect"; readonly route: number; readonly address: NodeAddress }
  | { readonly kind: "node-info"; readonly address: NodeAddress };
