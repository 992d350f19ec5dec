// RpcError ↔ ConnectError. The sixteen codes are gRPC's on both sides, so the
// mapping is one table; details travel as the same type name and bytes (a
// google.protobuf.Any on the wire), decoded or not.
import { Code, ConnectError } from "@connectrpc/connect";
import { AbortedError, TimeoutError } from "../errors.js";
import { QueueFullError, RpcError, WorkerCrashedError, WorkerSetClosedError, type RpcCode } from "../rpc/errors.js";

const TO_CONNECT: Readonly<Record<RpcCode, Code>> = {
  canceled: Code.Canceled,
  unknown: Code.Unknown,
  invalid_argument: Code.InvalidArgument,
  deadline_exceeded: Code.DeadlineExceeded,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  permission_denied: Code.PermissionDenied,
  resource_exhausted: Code.ResourceExhausted,
  failed_precondition: Code.FailedPrecondition,
  aborted: Code.Aborted,
  out_of_range: Code.OutOfRange,
  unimplemented: Code.Unimplemented,
  internal: Code.Internal,
  unavailable: Code.Unavailable,
  data_loss: Code.DataLoss,
  unauthenticated: Code.Unauthenticated,
};

const FROM_CONNECT = new Map<Code, RpcCode>(Object.entries(TO_CONNECT).map(([rpc, code]) => [code, rpc as RpcCode]));

/** The Connect (and gRPC) code of an RpcCode. */
export function connectCodeOf(code: RpcCode): Code {
  return TO_CONNECT[code];
}

/** The RpcCode of a Connect code; a number outside the sixteen is "unknown". */
export function rpcCodeOfConnect(code: Code): RpcCode {
  return FROM_CONNECT.get(code) ?? "unknown";
}

/**
 * What a caller over gRPC or Connect receives for an error a handler threw
 * (or a worker set's call failed with). A ConnectError passes unchanged; an
 * RpcError keeps its code, message and details (same type names, same bytes);
 * protochan's own failures get the code a gRPC client retries or not on;
 * anything else is "internal" with its message, as serve() sends it.
 */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof RpcError) {
    const out = new ConnectError(err.message, TO_CONNECT[err.rpcCode], undefined, undefined, err);
    out.details = err.rawDetails.map((d) => ({ type: d.typeName, value: d.value }));
    return out;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ConnectError(message, codeOfFailure(err), undefined, undefined, err);
}

function codeOfFailure(err: unknown): Code {
  if (err instanceof TimeoutError) return Code.DeadlineExceeded;
  if (err instanceof AbortedError) return Code.Canceled;
  if (err instanceof QueueFullError) return Code.ResourceExhausted;
  if (err instanceof WorkerCrashedError || err instanceof WorkerSetClosedError) return Code.Unavailable;
  return Code.Internal;
}

/**
 * A ConnectError (from a Connect client, or thrown by code a handler calls)
 * as an RpcError: same code, message without Connect's "[code]" prefix,
 * every detail with its type name and bytes. Anything else goes through
 * ConnectError.from first ("unknown", or "canceled" for a fetch abort).
 */
export function fromConnectError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  const connect = ConnectError.from(err);
  const details = connect.details.map((d) => ("desc" in d ? { desc: d.desc, value: d.value } : { typeName: d.type, value: d.value }));
  return new RpcError(rpcCodeOfConnect(connect.code), connect.rawMessage, details, { cause: err });
}
