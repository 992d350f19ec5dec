// Errors of calls. A handler throws RpcError to send a typed error back; its
// code, message and details (protobuf messages) reach the caller intact.
import type { Message } from "@bufbuild/protobuf";
import { ProtochanError } from "../errors.js";

export class RpcError extends ProtochanError {
  constructor(
    readonly code: string,
    message: string,
    /** Protobuf messages describing the error; decoded when their types are known here. */
    readonly details: readonly Message[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** The first detail of the given type name, if any. */
  findDetail<M extends Message>(typeName: M["$typeName"]): M | undefined {
    return this.details.find((d) => d.$typeName === typeName) as M | undefined;
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
