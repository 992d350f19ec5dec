// HELLO and WELCOME bodies (protochan.v1.Hello / Welcome in wire.proto; a
// test checks these offsets against the generated layout tables).
import { ProtocolError } from "../errors.js";
import { TOKEN_SIZE } from "../transport/name.js";
import { NODE_ID_SIZE } from "../routing/keys.js";
import { PROTOCOL_VERSION, type TypeIdHalves } from "../wire/header.js";

export const HELLO_SIZE = 72;
export const WELCOME_SIZE = 36;
/** Bootstrap type of a connection that only links two routers (no bootstrap channel). */
export const LINK_ONLY: TypeIdHalves = { lo: 0, hi: 0 };

export interface Hello {
  readonly version: number;
  /** HelloFlag bits (HELLO_FLAG_SCHEMA). */
  readonly flags: number;
  readonly type: TypeIdHalves;
  readonly token: Uint8Array;
  readonly node: Uint8Array;
  readonly window: number;
  readonly maxFrameSize: number;
}

export interface Welcome {
  readonly version: number;
  readonly maxFrameSize: number;
  readonly initialWindow: number;
  readonly bootstrapRoute: number;
  readonly node: Uint8Array;
  readonly bootstrapPort: number;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeHello(h: Omit<Hello, "version" | "flags"> & { readonly flags?: number }): Uint8Array {
  const out = new Uint8Array(HELLO_SIZE);
  const view = viewOf(out);
  view.setUint32(0, PROTOCOL_VERSION, true);
  view.setUint32(4, h.flags ?? 0, true);
  view.setUint32(8, h.type.lo, true);
  view.setUint32(12, h.type.hi, true);
  out.set(h.token, 16);
  out.set(h.node, 48);
  view.setUint32(64, h.window, true);
  view.setUint32(68, h.maxFrameSize, true);
  return out;
}

export function decodeHello(body: Uint8Array): Hello {
  if (body.length !== HELLO_SIZE) throw new ProtocolError(`bad HELLO: ${body.length} bytes, expected ${HELLO_SIZE}`);
  const view = viewOf(body);
  return {
    version: view.getUint32(0, true),
    flags: view.getUint32(4, true),
    type: { lo: view.getUint32(8, true), hi: view.getUint32(12, true) },
    token: body.subarray(16, 16 + TOKEN_SIZE),
    node: body.slice(48, 48 + NODE_ID_SIZE),
    window: view.getUint32(64, true),
    maxFrameSize: view.getUint32(68, true),
  };
}

export function encodeWelcome(w: Welcome): Uint8Array {
  const out = new Uint8Array(WELCOME_SIZE);
  const view = viewOf(out);
  view.setUint32(0, w.version, true);
  view.setUint32(4, w.maxFrameSize, true);
  view.setUint32(8, w.initialWindow, true);
  view.setUint32(12, w.bootstrapRoute, true);
  out.set(w.node, 16);
  view.setUint32(32, w.bootstrapPort, true);
  return out;
}

export function decodeWelcome(body: Uint8Array): Welcome {
  if (body.length !== WELCOME_SIZE) throw new ProtocolError(`bad WELCOME: ${body.length} bytes, expected ${WELCOME_SIZE}`);
  const view = viewOf(body);
  return {
    version: view.getUint32(0, true),
    maxFrameSize: view.getUint32(4, true),
    initialWindow: view.getUint32(8, true),
    bootstrapRoute: view.getUint32(12, true),
    node: body.slice(16, 16 + NODE_ID_SIZE),
    bootstrapPort: view.getUint32(32, true),
  };
}
