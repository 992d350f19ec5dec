// What the router needs from a connection to another process: messages out,
// and routing events out (the connection turns them into frames). The socket
// connection implements it; tests may drive the router through other links.
import type { ProtochanError } from "../errors.js";
import type { ChannelType } from "../codec/channel-type.js";
import type { RoutingEvent } from "./events.js";
import type { InRoute, OutRoute } from "./routes.js";
import type { ExportVia } from "./handles.js";
import type { Router } from "./router.js";
import type { SeqSource } from "./sender-core.js";

export interface Link {
  readonly router: Router;
  /** The peer's node id, known after the handshake. */
  readonly peer: Uint8Array;
  readonly peerHex: string;
  /** Window of routes we send on (the peer's receive window). */
  readonly sendWindow: number;
  /** Window of routes the peer sends on. */
  readonly recvWindow: number;
  readonly inbound: Map<number, InRoute<unknown>>;
  /** Highest route id the peer has opened (ids only grow; 1 is the bootstrap route). */
  highestInbound: number;
  /** Streams promised over this link (clones of exported senders, streams of moved receivers) not opened yet: the link must stay up. */
  expectedOpens: number;
  /** Routes that ended here but still owe the peer credit (a proxy there relays it): the link must stay up. */
  draining: number;
  readonly outbound: Map<number, OutRoute<unknown>>;
  /** Routes this link may have (inbound, outbound, promised and draining together). */
  readonly maxRoutes: number;
  /** Charged bytes the peer may leave unconsumed here, over all routes. */
  readonly maxConnectionBytes: number;
  /** Charged bytes the peer sent here and we have not credited back yet. */
  unconsumed: number;
  readonly failure: ProtochanError | undefined;
  /** Frames and messages this link carried, for diagnostics. */
  readonly stats: { framesIn: number; framesOut: number };
  allocRouteId(): number;
  /**
   * Writes a MESSAGE; returns its window charge (see windowCharge). Channel
   * ends found while encoding go into the frame's handle table.
   */
  writeMessage<T>(routeId: number, seq: number | SeqSource, type: ChannelType<T>, value: T, via: ExportVia): number;
  /** A MESSAGE whose body is already encoded (and carries no handles); returns its window charge. */
  writeBody<T>(routeId: number, seq: number, type: ChannelType<T>, body: Uint8Array): number;
  /** Any event other than MESSAGE. */
  send(event: RoutingEvent): void;
  /** A route started on this link. */
  routeStarted(): void;
  /** A route finished: a link without routes may close. */
  routeEnded(): void;
}
