// Errors of packet views. Both are ProtochanErrors with a stable `code`: a
// setter given a value that does not fit, or bytes (from a peer or a file)
// whose lengths or sizes are corrupt.
import { ProtochanError } from "../errors.js";

/** A value out of range for a packet field (setters), or a corrupt length or case (getters). */
export class PacketRangeError extends ProtochanError {
  readonly code = "PACKET_RANGE";
  constructor(
    /** Full name of the field, e.g. "example.v1.Sample.name". */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** A buffer of the wrong size for a packet or a batch of packets. */
export class PacketSizeError extends ProtochanError {
  readonly code = "PACKET_SIZE";
}
