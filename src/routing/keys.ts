// Global names for ports (receivers) and streams (one sender's flow into a
// receiver): the 16-byte random id of the node (process) that created them
// and a serial number there. They stay the same wherever the endpoint moves.
import { randomBytes } from "node:crypto";

export interface GlobalKey {
  readonly node: Uint8Array;
  readonly serial: number;
  /** "<node hex>/<serial>", for maps. */
  readonly id: string;
}

export const NODE_ID_SIZE = 16;

export function newNodeId(): Uint8Array {
  return new Uint8Array(randomBytes(NODE_ID_SIZE));
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export function globalKey(node: Uint8Array, serial: number): GlobalKey {
  return { node, serial, id: `${hex(node)}/${serial}` };
}
