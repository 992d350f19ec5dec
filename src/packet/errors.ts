// Errors of packet views. Both are RangeErrors with a stable `code`.

/** A value out of range for a packet field (setters), or a corrupt length or case (getters). */
export class PacketRangeError extends RangeError {
  readonly code = "PACKET_RANGE";
  override readonly name = "PacketRangeError";
  constructor(
    /** Full name of the field, e.g. "example.v1.Sample.name". */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** A buffer of the wrong size for a packet or a batch of packets. */
export class PacketSizeError extends RangeError {
  readonly code = "PACKET_SIZE";
  override readonly name = "PacketSizeError";
}
