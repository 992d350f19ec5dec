// HELLO and WELCOME bodies (protochan.v1.Hello / Welcome in wire.proto).
import { ProtocolError } from "../errors.js";
import { TOKEN_SIZE } from "../transport/name.js";
import { PROTOCOL_VERSION, type TypeIdHalves } from "../wire/header.js";

export const HELLO_SIZE = 16 + TOKEN_SIZE;
export const WELCOME_SIZE = 16;
/** The route id of the channel a one-shot server hands to accept(). */
export const BOOTSTRAP_ROUTE = 1;

export interface Hello {
  readonly version: number;
  readonly type: TypeIdHalves;
  readonly token: Uint8Array;
}

export interface Welcome {
  readonly version: number;
  readonly maxFrameSize: number;
  readonly initialWindow: number;
  readonly bootstrapRoute: number;
}

export function encodeHello(type: TypeIdHalves, token: Uint8Array): Uint8Array {
  const out = new Uint8Array(HELLO_SIZE);
  const view = new DataView(out.buffer);
  view.setUint32(0, PROTOCOL_VERSION, true);
  view.setUint32(8, type.lo, true);
  view.setUint32(12, type.hi, true);
  out.set(token, 16);
  return out;
}

export function decodeHello(body: Uint8Array): Hello {
  if (body.length !== HELLO_SIZE) throw new ProtocolError(`bad HELLO: ${body.length} bytes, expected ${HELLO_SIZE}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  return {
    version: view.getUint32(0, true),
    type: { lo: view.getUint32(8, true), hi: view.getUint32(12, true) },
    token: body.subarray(16),
  };
}

export function encodeWelcome(w: Welcome): Uint8Array {
  const out = new Uint8Array(WELCOME_SIZE);
  const view = new DataView(out.buffer);
  view.setUint32(0, w.version, true);
  view.setUint32(4, w.maxFrameSize, true);
  view.setUint32(8, w.initialWindow, true);
  view.setUint32(12, w.bootstrapRoute, true);
  return out;
}

export function decodeWelcome(body: Uint8Array): Welcome {
  if (body.length !== WELCOME_SIZE) throw new ProtocolError(`bad WELCOME: ${body.length} bytes, expected ${WELCOME_SIZE}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  return {
    version: view.getUint32(0, true),
    maxFrameSize: view.getUint32(4, true),
    initialWindow: view.getUint32(8, true),
    bootstrapRoute: view.getUint32(12, true),
  };
}
