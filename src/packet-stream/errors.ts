// Errors of packet streams. Each has a stable `code`; a consumer tells the
// three ways a stream can stop apart by class (or code): a clean end is not an
// error at all (receivePackets() returns null), a lost producer is a
// PacketProducerLostError, a corrupt batch a PacketDecodeError.
import { ProtochanError } from "../errors.js";

/** How the producer went away without ending the stream. */
export type ProducerLostReason =
  /** Its process or connection died (crash, SIGKILL, network). */
  | "connection-lost"
  /** It closed its side without sending the explicit end of stream. */
  | "closed-without-end";

/** The producer stopped before the explicit end of stream; packets received before are still delivered first. */
export class PacketProducerLostError extends ProtochanError {
  readonly code = "PACKET_PRODUCER_LOST";
  constructor(
    readonly reason: ProducerLostReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A batch (or the stream around it) could not be decoded: a corrupt batch
 * header or record, a packet type or layout that does not match, a message
 * after the end of stream, or any protocol error on the stream's connection.
 * The connection is closed when it happens.
 */
export class PacketDecodeError extends ProtochanError {
  readonly code = "PACKET_DECODE";
}
