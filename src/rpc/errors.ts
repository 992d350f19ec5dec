// Errors of calls. A handler throws RpcError to send a typed error back; its
// code, message and details (protobuf messages) reach the caller intact.
// RpcError is a ProtochanError with code "RPC_ERROR"; what went wrong is its
// `rpcCode`, one of Connect's codes. A detail whose type this process has not
// registered stays as its type name and bytes: never dropped.
import type { DescMessage, Message, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { InvalidArgumentError, ProtochanError } from "../errors.js";
import { decodeMessage, encodeMessage, encodeWith, registeredCodec } from "./messages.js";

/** The codes of calls, as in Connect (and gRPC); on the wire as these strings. */
export const RPC_CODES = [
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
] as const;

export type RpcCode = (typeof RPC_CODES)[number];

const known = new Set<string>(RPC_CODES);

export function isRpcCode(value: unknown): value is RpcCode {
  return typeof value === "string" && known.has(value);
}

/**
 * The code a peer sent, read leniently: Connect's spelling, or gRPC's upper
 * case one ("RESOURCE_EXHAUSTED", "CANCELLED"). Anything else is "unknown".
 */
export function rpcCodeOf(value: unknown): RpcCode {
  if (typeof value !== "string") return "unknown";
  const lower = value.toLowerCase();
  const code = lower === "cancelled" ? "canceled" : lower;
  return isRpcCode(code) ? code : "unknown";
}

/** A detail as it travels: its full protobuf type name and its binary encoding. */
export interface RawDetail {
  readonly typeName: string;
  readonly value: Uint8Array;
}

/** A detail of any type, given by its schema and value (needs no registration). */
export interface DetailInit<Desc extends DescMessage = DescMessage> {
  readonly desc: Desc;
  readonly value: MessageInitShape<Desc>;
}

/** What a handler may attach: a message of a registered type, a message with its schema, or raw bytes. */
export type OutgoingDetail = Message | DetailInit | RawDetail;

/** A received detail: decoded if its type is registered here, else its type name and bytes. */
export type RpcErrorDetail = Message | RawDetail;

export class RpcError extends ProtochanError {
  readonly code = "RPC_ERROR";
  readonly rpcCode: RpcCode;
  /** Messages for the types registered in this process (a _chan.ts imported), RawDetail for the others. */
  readonly details: readonly RpcErrorDetail[];
  /** Every detail as it travels. */
  readonly rawDetails: readonly RawDetail[];

  /**
   * A detail that is a bare message needs its type registered here (import its
   * _chan.ts), else it throws InvalidArgumentError; `{ desc, value }` always
   * works. A code outside RpcCode (from untyped code) becomes "unknown".
   */
  constructor(rpcCode: RpcCode, message: string, details: readonly OutgoingDetail[] = [], options?: ErrorOptions) {
    super(message, options);
    this.rpcCode = isRpcCode(rpcCode) ? rpcCode : "unknown";
    this.rawDetails = details.map(toRaw);
    this.details = details.map((d, i) => ("$typeName" in d ? d : decoded(this.rawDetails[i]!)));
  }

  /** The first detail of the type named `typeName` that was decoded (its type is registered here). */
  findDetail<M extends Message>(typeName: M["$typeName"]): M | undefined;
  /** The first detail of the type `desc`, decoded with it (registered here or not). */
  findDetail<Desc extends DescMessage>(desc: Desc): MessageShape<Desc> | undefined;
  findDetail(type: string | DescMessage): Message | undefined {
    if (typeof type === "string") {
      return this.details.find((d): d is Message => "$typeName" in d && d.$typeName === type);
    }
    const raw = this.rawDetails.find((d) => d.typeName === type.typeName);
    return raw === undefined ? undefined : decodeMessage(type, raw.value);
  }
}

function toRaw(d: OutgoingDetail): RawDetail {
  if ("$typeName" in d) {
    const codec = registeredCodec(d.$typeName);
    if (codec === undefined) {
      throw new InvalidArgumentError(
        `RpcError detail ${d.$typeName}: its type is not registered here (import its _chan.ts, or pass { desc, value })`,
      );
    }
    return { typeName: d.$typeName, value: encodeWith(codec, d) };
  }
  if ("desc" in d) return { typeName: d.desc.typeName, value: encodeMessage(d.desc, create(d.desc, d.value)) };
  return d;
}

/** A raw detail decoded by its registered codec; left raw if none is registered or its bytes do not decode. */
function decoded(raw: RawDetail): RpcErrorDetail {
  const codec = registeredCodec(raw.typeName);
  if (codec === undefined) return raw;
  try {
    const message = codec.decode(raw.value);
    return message.$typeName === raw.typeName ? message : raw;
  } catch {
    return raw;
  }
}

/** The worker running the call died before answering. */
export class WorkerCrashedError extends ProtochanError {
  readonly code = "WORKER_CRASHED";
}

/** Every worker is busy and the queue is full. */
export class QueueFullError extends ProtochanError {
  readonly code = "QUEUE_FULL";
}

/** The worker set was closed. */
export class WorkerSetClosedError extends ProtochanError {
  readonly code = "WORKER_SET_CLOSED";
}
