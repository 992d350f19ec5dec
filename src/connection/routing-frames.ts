// Routing events as frames: the bodies of OPEN, HANDOFF, REDIRECT and
// NODE_INFO and the handle-table entry, at the offsets of protochan.v1.Open /
// Handoff / NodeAddress / HandleEntry in wire.proto (a test checks them
// against the generated layout tables), and the frame header fields of the others.
import { AddressError, ProtocolError } from "../errors.js";
import { globalKey, NODE_ID_SIZE } from "../routing/keys.js";
import { HandleKind, type HandleEntry, type Handoff, type NodeAddress, type Open, type RoutingEvent } from "../routing/events.js";
import { Kind, NO_TYPE, type FrameHeader, type TypeIdHalves } from "../wire/header.js";

export const OPEN_SIZE = 56;
export const OPEN_BASE = 1;
export const OPEN_PARENT_HOLD = 2;
export const OPEN_PARENT_ROUTE = 4;
export const OPEN_JOIN = 8;
export const HANDOFF_SIZE = 40;
export { HANDLE_ENTRY_SIZE } from "../wire/header.js";
import { HANDLE_ENTRY_SIZE } from "../wire/header.js";
export const NODE_ADDRESS_SIZE = 532;
const NAME_MAX = 512;

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function nodeAt(bytes: Uint8Array, at: number): Uint8Array {
  return bytes.slice(at, at + NODE_ID_SIZE);
}

export function encodeOpen(o: Open): Uint8Array {
  const out = new Uint8Array(OPEN_SIZE);
  const v = viewOf(out);
  out.set(o.stream.node, 0);
  v.setUint32(16, o.stream.serial, true);
  const ref = o.parent === undefined ? (o.join === undefined ? 0 : OPEN_JOIN) : "hold" in o.parent ? OPEN_PARENT_HOLD : OPEN_PARENT_ROUTE;
  v.setUint32(20, (o.base ? OPEN_BASE : 0) | ref, true);
  v.setBigUint64(24, BigInt(o.firstSeq), true);
  out.set(o.port.node, 32);
  v.setUint32(48, o.port.serial, true);
  v.setUint32(52, o.parent === undefined ? (o.join ?? 0) : "hold" in o.parent ? o.parent.hold : o.parent.route, true);
  return out;
}

export function decodeOpen(body: Uint8Array): Open {
  if (body.length !== OPEN_SIZE) throw new ProtocolError(`bad OPEN: ${body.length} bytes, expected ${OPEN_SIZE}`);
  const v = viewOf(body);
  const firstSeq = v.getBigUint64(24, true);
  if (firstSeq < 1n || firstSeq > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtocolError("bad OPEN: first_seq out of range");
  const flags = v.getUint32(20, true);
  const open: Open = {
    stream: globalKey(nodeAt(body, 0), v.getUint32(16, true)),
    base: (flags & OPEN_BASE) !== 0,
    firstSeq: Number(firstSeq),
    port: globalKey(nodeAt(body, 32), v.getUint32(48, true)),
  };
  const ref = flags & (OPEN_PARENT_HOLD | OPEN_PARENT_ROUTE | OPEN_JOIN);
  const id = v.getUint32(52, true);
  if (ref === 0) return open;
  if (ref === OPEN_JOIN && !open.base) return { ...open, join: id };
  if ((ref === OPEN_PARENT_HOLD || ref === OPEN_PARENT_ROUTE) && open.base) {
    return { ...open, parent: ref === OPEN_PARENT_HOLD ? { hold: id } : { route: id } };
  }
  throw new ProtocolError("bad OPEN: a clone's stream starts a stream and has one parent; a continuation has a join and no start");
}

export function encodeHandoff(h: Handoff): Uint8Array {
  const out = new Uint8Array(HANDOFF_SIZE);
  const v = viewOf(out);
  out.set(h.target, 0);
  out.set(h.stream.node, 16);
  v.setUint32(32, h.stream.serial, true);
  v.setUint32(36, h.join, true);
  return out;
}

export function decodeHandoff(body: Uint8Array): Handoff {
  if (body.length !== HANDOFF_SIZE) throw new ProtocolError(`bad HANDOFF: ${body.length} bytes, expected ${HANDOFF_SIZE}`);
  const v = viewOf(body);
  return { target: nodeAt(body, 0), stream: globalKey(nodeAt(body, 16), v.getUint32(32, true)), join: v.getUint32(36, true) };
}

export function encodeNodeAddress(a: NodeAddress): Uint8Array {
  const name = new TextEncoder().encode(a.name);
  if (name.length > NAME_MAX) throw new AddressError(`node name longer than ${NAME_MAX} bytes`);
  const out = new Uint8Array(NODE_ADDRESS_SIZE);
  out.set(a.node, 0);
  viewOf(out).setUint32(16, name.length, true);
  out.set(name, 20);
  return out;
}

export function decodeNodeAddress(body: Uint8Array): NodeAddress {
  if (body.length !== NODE_ADDRESS_SIZE) {
    throw new ProtocolError(`bad node address: ${body.length} bytes, expected ${NODE_ADDRESS_SIZE}`);
  }
  const len = viewOf(body).getUint32(16, true);
  if (len > NAME_MAX) throw new ProtocolError(`bad node address: name length ${len} > ${NAME_MAX}`);
  return { node: nodeAt(body, 0), name: new TextDecoder().decode(body.subarray(20, 20 + len)) };
}

/** HandleEntry flag: a sender whose receiver is already gone. */
export const HANDLE_GONE = 1;

export function writeHandleEntry(view: DataView, at: number, e: HandleEntry): void {
  view.setUint16(at, e.kind, true);
  view.setUint16(at + 2, e.gone === true ? HANDLE_GONE : 0, true);
  view.setUint32(at + 4, e.port.serial, true);
  view.setUint32(at + 8, e.typeLo, true);
  view.setUint32(at + 12, e.typeHi, true);
  new Uint8Array(view.buffer, view.byteOffset + at + 16, NODE_ID_SIZE).set(e.port.node);
  view.setUint32(at + 32, e.streamCount, true);
  view.setUint32(at + 36, e.hold, true);
}

export function readHandleEntry(table: Uint8Array, index: number): HandleEntry {
  const at = index * HANDLE_ENTRY_SIZE;
  const v = viewOf(table);
  const kind = v.getUint16(at, true);
  if (kind !== HandleKind.Sender && kind !== HandleKind.Receiver) {
    throw new ProtocolError(`handle ${index}: unknown kind ${kind}`);
  }
  return {
    kind,
    gone: kind === HandleKind.Sender && (v.getUint16(at + 2, true) & HANDLE_GONE) !== 0,
    port: globalKey(nodeAt(table, at + 16), v.getUint32(at + 4, true)),
    typeLo: v.getUint32(at + 8, true),
    typeHi: v.getUint32(at + 12, true),
    streamCount: v.getUint32(at + 32, true),
    hold: v.getUint32(at + 36, true),
  };
}

/** Flag on CLOSE and GONE: the far end was lost, not closed. */
export const FLAG_LOST = 1;

/** A routing frame other than MESSAGE (see readHandleTable), decoded. */
export function decodeEvent(h: FrameHeader, body: Uint8Array): RoutingEvent {
  const route = h.routeId;
  const lost = (h.flags & FLAG_LOST) !== 0;
  switch (h.kind) {
    case Kind.Open:
      return { kind: "open", route, type: { lo: h.typeLo, hi: h.typeHi }, open: decodeOpen(body) };
    case Kind.Close:
      return { kind: "close", route, lastSeq: h.seq, lost };
    case Kind.Handoff:
      return { kind: "handoff", route, lastSeq: h.seq, handoff: decodeHandoff(body) };
    case Kind.Credit:
      return { kind: "credit", route, bytes: h.seq };
    case Kind.Gone:
      return { kind: "gone", route, lost };
    case Kind.Redirect:
      return { kind: "redirect", route, address: decodeNodeAddress(body) };
    case Kind.NodeInfo:
      return { kind: "node-info", address: decodeNodeAddress(body) };
    case Kind.Error:
      throw new ProtocolError(`peer reported an error: ${new TextDecoder().decode(body)}`);
    default:
      throw new ProtocolError(`unexpected frame kind ${h.kind} after the handshake`);
  }
}

/** How an event goes out: header fields and body. */
export interface EncodedEvent {
  readonly kind: Kind;
  readonly routeId: number;
  readonly seq: number;
  readonly body: Uint8Array | undefined;
  readonly flags: number;
  readonly type: TypeIdHalves;
}

export function encodeEvent(e: RoutingEvent): EncodedEvent {
  switch (e.kind) {
    case "open":
      return { kind: Kind.Open, routeId: e.route, seq: 0, body: encodeOpen(e.open), flags: 0, type: e.type };
    case "close":
      return { kind: Kind.Close, routeId: e.route, seq: e.lastSeq, body: undefined, flags: e.lost ? FLAG_LOST : 0, type: NO_TYPE };
    case "handoff":
      return { kind: Kind.Handoff, routeId: e.route, seq: e.lastSeq, body: encodeHandoff(e.handoff), flags: 0, type: NO_TYPE };
    case "credit":
      return { kind: Kind.Credit, routeId: e.route, seq: e.bytes, body: undefined, flags: 0, type: NO_TYPE };
    case "gone":
      return { kind: Kind.Gone, routeId: e.route, seq: 0, body: undefined, flags: e.lost ? FLAG_LOST : 0, type: NO_TYPE };
    case "redirect":
      return { kind: Kind.Redirect, routeId: e.route, seq: 0, body: encodeNodeAddress(e.address), flags: 0, type: NO_TYPE };
    case "node-info":
      return { kind: Kind.NodeInfo, routeId: 0, seq: 0, body: encodeNodeAddress(e.address), flags: 0, type: NO_TYPE };
  }
}

/** A MESSAGE's handle table as entries (checked: kinds known). */
export function readHandleTable(table: Uint8Array, count: number): HandleEntry[] {
  const entries = new Array<HandleEntry>(count);
  for (let i = 0; i < count; i++) entries[i] = readHandleEntry(table, i);
  return entries;
}
