// The routing cores behind channel ends. The ends layer types a handle's port
// as the small interface the facade uses; every port is made here, as a
// SenderCore or ReceiverCore, so the routing layer takes it back at that type.
import type { Receiver } from "../ends/receiver.js";
import type { Sender } from "../ends/sender.js";
import type { ReceiverCore } from "./receiver-core.js";
import type { SenderCore } from "./sender-core.js";

export function senderCore<T>(sender: Sender<T>): SenderCore<T> {
  return sender.core as SenderCore<T>;
}

/** Throws EndpointMovedError if the handle was sent away (see Receiver.core). */
export function receiverCore<T>(receiver: Receiver<T>): ReceiverCore<T> {
  return receiver.core as ReceiverCore<T>;
}
