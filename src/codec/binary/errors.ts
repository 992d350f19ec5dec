// Errors raised by the protobuf binary codecs. Both carry a stable `code`, so
// callers can tell bad input from a peer (DecodeError) from a value the
// sender should not have built (EncodeError).
import { ProtochanError } from "../../errors.js";

/** Why a decode failed. */
export type DecodeErrorReason =
  | "truncated" // a value or length runs past the end of the input
  | "varint-too-long" // more than 10 bytes, or a tag longer than 32 bits
  | "invalid-tag" // field number 0 or wire type 6/7
  | "wrong-wire-type" // a known field arrived with a wire type it cannot have
  | "length-mismatch" // a nested message or packed field does not end where its length says
  | "invalid-utf8" // a string field that must be UTF-8 is not
  | "invalid-group" // unbalanced start/end group tags
  | "recursion-limit" // nesting deeper than the limit (100, like @bufbuild/protobuf)
  | "invalid-message"; // a nested message decoded by @bufbuild/protobuf (reflective fallback) failed

export class DecodeError extends ProtochanError {
  readonly code = "DECODE_ERROR";

  constructor(
    readonly reason: DecodeErrorReason,
    message: string,
    /** Byte offset in the input where the problem was found. */
    readonly offset: number,
    options?: ErrorOptions,
  ) {
    super(`cannot decode protobuf binary: ${message} (at byte ${offset})`, options);
  }
}

export class EncodeError extends ProtochanError {
  readonly code = "ENCODE_ERROR";

  constructor(message: string, options?: ErrorOptions) {
    super(`cannot encode protobuf binary: ${message}`, options);
  }
}
