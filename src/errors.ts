// Every error protochan throws is a ProtochanError with a stable `code`, so
// callers can branch on `err.code` rather than on message text. The codes form
// one closed union, ErrorCode; docs/errors.md has a row for each (a test
// keeps the two equal).

/** Every code a ProtochanError can have, in the order of docs/errors.md. */
export const ERROR_CODES = [
  // channels
  "DISCONNECTED",
  "RECEIVER_GONE",
  "ENDPOINT_CLOSED",
  "ENDPOINT_MOVED",
  "HANDLE_CYCLE",
  "TOO_MANY_HANDLES",
  "TIMEOUT",
  "ABORTED",
  "INVALID_ARGUMENT",
  // connections
  "PROTOCOL_ERROR",
  "FRAME_TOO_LARGE",
  "SCHEMA_MISMATCH",
  "RESOURCE_LIMIT",
  "CONNECTION_LOST",
  "HANDSHAKE_REFUSED",
  "BAD_ADDRESS",
  "CONNECT_FAILED",
  "LISTEN_FAILED",
  "INSECURE_TRANSPORT",
  "TLS_FAILED",
  // codecs
  "DECODE_ERROR",
  "ENCODE_ERROR",
  // packets and packet streams
  "PACKET_RANGE",
  "PACKET_SIZE",
  "PACKET_PRODUCER_LOST",
  "PACKET_DECODE",
  // services and workers
  "RPC_ERROR",
  "WORKER_CRASHED",
  "QUEUE_FULL",
  "WORKER_SET_CLOSED",
  // contracts
  "CONTRACT_MISMATCH",
] as const;

/** The stable code of a ProtochanError. */
export type ErrorCode = (typeof ERROR_CODES)[number];

export abstract class ProtochanError extends Error {
  abstract readonly code: ErrorCode;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Why a channel stopped: its other end closed, the connection dropped, or the peer misbehaved. */
export type EndReason = "closed" | "connection-lost" | "protocol-error";

/** A channel's other end is gone; `reason` says how it went. */
export abstract class ChannelEndedError extends ProtochanError {
  constructor(
    readonly reason: EndReason,
    what: string,
    normally: string,
    options?: ErrorOptions,
  ) {
    super(reason === "closed" ? `${what}: ${normally}` : `${what}: ${reason}${causeText(options)}`, options);
  }
}

/** recv(): every sender is closed and the queued messages are drained. */
export class DisconnectedError extends ChannelEndedError {
  readonly code = "DISCONNECTED";
  constructor(reason: EndReason = "closed", options?: ErrorOptions) {
    super(reason, "channel disconnected", "all senders closed", options);
  }
}

/** send(): the receiving end was closed or its process is gone. */
export class ReceiverGoneError extends ChannelEndedError {
  readonly code = "RECEIVER_GONE";
  constructor(reason: EndReason = "closed", options?: ErrorOptions) {
    super(reason, "receiver is gone", "it was closed", options);
  }
}

/** The endpoint was closed by this process and cannot be used. */
export class EndpointClosedError extends ProtochanError {
  readonly code = "ENDPOINT_CLOSED";
}

/** The endpoint was sent to another process (receivers move; senders are cloned). */
export class EndpointMovedError extends ProtochanError {
  readonly code = "ENDPOINT_MOVED";
}

/** An endpoint was sent over itself or over its own peer. */
export class HandleCycleError extends ProtochanError {
  readonly code = "HANDLE_CYCLE";
}

/** A message carries more channel ends than a frame may hold. */
export class TooManyHandlesError extends ProtochanError {
  readonly code = "TOO_MANY_HANDLES";
}

/** A wait ran past its timeoutMs. */
export class TimeoutError extends ProtochanError {
  readonly code = "TIMEOUT";
}

/** A wait was cancelled through its AbortSignal. */
export class AbortedError extends ProtochanError {
  readonly code = "ABORTED";
}

/**
 * An argument the calling code passed is invalid (an option out of range, a
 * channel end encoded outside a channel). Thrown at the call, never caused by
 * a peer: fix the calling code.
 */
export class InvalidArgumentError extends ProtochanError {
  readonly code = "INVALID_ARGUMENT";
}

/** The peer sent something that breaks the protocol; its connection is closed. */
export class ProtocolError extends ProtochanError {
  readonly code: "PROTOCOL_ERROR" | "FRAME_TOO_LARGE" | "SCHEMA_MISMATCH" = "PROTOCOL_ERROR";
}

/** A frame larger than the configured maximum (sent or received). */
export class FrameTooLargeError extends ProtocolError {
  override readonly code = "FRAME_TOO_LARGE";
}

/**
 * The two sides were built from schemas that cannot read each other's
 * messages: a field's wire type differs. Both sides see it, each from its own
 * side (`here` is this process's definition); the connection is closed.
 */
export class SchemaMismatchError extends ProtocolError {
  override readonly code = "SCHEMA_MISMATCH";
  constructor(
    /** Full name of the message whose field differs, e.g. `example.v1.Ping`. */
    readonly typeName: string,
    /** The field's name (here, or at the peer when it has no field of that number here). */
    readonly field: string,
    /** The field's definition in this process, e.g. `uint64`. */
    readonly here: string,
    /** The field's definition at the peer. */
    readonly peer: string,
    options?: ErrorOptions,
  ) {
    super(`schema mismatch: ${typeName}.${field}: ${here} here, ${peer} at the peer`, options);
  }
}

/**
 * A bound on what one side may make the other hold was reached: from a peer
 * (routes, unconsumed bytes, parked streams, unread output) it ends that
 * connection; from this process (send() past its window while ignoring
 * `false`) only that call fails. `limit` names the bound.
 */
export class ResourceLimitError extends ProtochanError {
  readonly code = "RESOURCE_LIMIT";
  constructor(
    /** The bound that was reached, as its option is named (e.g. `maxRoutes`). */
    readonly limit: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The peer's connection ended without closing its channels (crash, kill, network). */
export class ConnectionLostError extends ProtochanError {
  readonly code = "CONNECTION_LOST";
}

/** connect(): the server refused the handshake (wrong token, wrong type, gone). */
export class HandshakeError extends ProtochanError {
  readonly code = "HANDSHAKE_REFUSED";
}

/** An address or name string that cannot be parsed (its token is never quoted). */
export class AddressError extends ProtochanError {
  readonly code = "BAD_ADDRESS";
}

/** Dialing an address failed (no such socket, refused, unreachable); `cause` is the system error. */
export class ConnectFailedError extends ProtochanError {
  readonly code = "CONNECT_FAILED";
}

/** Listening on an address failed (in use, no permission); `cause` is the system error. */
export class ListenFailedError extends ProtochanError {
  readonly code = "LISTEN_FAILED";
}

/**
 * Plain TCP to or on an address off this machine, without `allowInsecure`:
 * the token and every message would cross the network readable by anyone on
 * the path. Use a `tls:` address, or opt in with `allowInsecure: true`.
 */
export class InsecureTransportError extends ProtochanError {
  readonly code = "INSECURE_TRANSPORT";
}

/**
 * A TLS handshake failed: the server's certificate is not signed by a trusted
 * CA or not for the host dialed, or the server refused this client's
 * certificate (or its lack of one). `cause` is node's TLS error.
 */
export class TlsError extends ProtochanError {
  readonly code = "TLS_FAILED";
}

/** One difference a contract verification found (from Pact's matching). */
export interface ContractMismatch {
  /** The interaction's description in the Pact file. */
  readonly interaction: string;
  /** JSON path into the message, e.g. "$.childPid"; "" when the whole interaction failed. */
  readonly path: string;
  /** The value the contract expects (as Pact prints it). */
  readonly expected: string;
  /** The value the provider gave. */
  readonly actual: string;
  /** Pact's explanation. */
  readonly message: string;
}

/** A provider failed verification of a contract, or a consumer test did not exercise its interaction. */
export class ContractMismatchError extends ProtochanError {
  readonly code = "CONTRACT_MISMATCH";
  constructor(
    message: string,
    /** Each difference found, in the order Pact reported them. */
    readonly mismatches: readonly ContractMismatch[] = [],
  ) {
    super(message);
  }
}

function causeText(options?: ErrorOptions): string {
  return options?.cause instanceof Error ? ` (${options.cause.message})` : "";
}
