// The 40-byte frame header, as declared by protochan.v1.FrameHeader in
// schema/protochan/v1/wire.proto (C view: generated/protochan/v1/wire.h).
// A test checks these offsets against the generated layout table.

export const MAGIC = 0x4e484350; // "PCHN" little-endian
export const PROTOCOL_VERSION = 2;
export const HEADER_SIZE = 40;
/** The route of a connection's bootstrap channel: it exists from WELCOME on, with no OPEN. */
export const BOOTSTRAP_ROUTE = 1;
/** Bytes per handle-table entry (the table follows the header). */
export const HANDLE_ENTRY_SIZE = 40;

export const Off = {
  magic: 0,
  version: 4,
  headerSize: 6,
  kind: 8,
  flags: 10,
  bodyLength: 12,
  routeId: 16,
  handleCount: 20,
  seq: 24,
  typeId: 32,
} as const;

/** protochan.v1.FrameKind */
export const Kind = {
  Hello: 1,
  Welcome: 2,
  Message: 3,
  Close: 4,
  Credit: 5,
  Gone: 6,
  Error: 7,
  Open: 8,
  Handoff: 9,
  Redirect: 10,
  NodeInfo: 11,
  // 12 is reserved (ANNOUNCE in earlier drafts).
  Schema: 13,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];
export const MAX_KIND = Kind.Schema;
/** A kind number no frame may carry (retired). */
export const RESERVED_KIND = 12;
/** HELLO `flags` bit 0: the client speaks schema negotiation (SCHEMA frames). */
export const HELLO_FLAG_SCHEMA = 1;

/** A decoded header; the parser reuses one instance for every frame. */
export interface FrameHeader {
  /** A Kind once validated by the parser. */
  kind: number;
  flags: number;
  bodyLength: number;
  routeId: number;
  handleCount: number;
  /** Safe integer: 2^53 frames per route is never reached. */
  seq: number;
  /** The 64-bit type id as two 32-bit halves: no BigInt on the hot path. */
  typeLo: number;
  typeHi: number;
}

/** A 64-bit type id split into the halves the header stores. */
export interface TypeIdHalves {
  readonly lo: number;
  readonly hi: number;
}

export function splitTypeId(id: bigint): TypeIdHalves {
  return { lo: Number(id & 0xffffffffn), hi: Number(id >> 32n) };
}

export function joinTypeId(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export const NO_TYPE: TypeIdHalves = { lo: 0, hi: 0 };

/** Writes a header at `at`. seq and the type id are 64-bit little-endian. */
export function writeHeader(
  view: DataView,
  at: number,
  kind: Kind,
  routeId: number,
  bodyLength: number,
  seq: number,
  type: TypeIdHalves,
  handleCount = 0,
  flags = 0,
): void {
  view.setUint32(at + Off.magic, MAGIC, true);
  view.setUint16(at + Off.version, PROTOCOL_VERSION, true);
  view.setUint16(at + Off.headerSize, HEADER_SIZE, true);
  view.setUint16(at + Off.kind, kind, true);
  view.setUint16(at + Off.flags, flags, true);
  view.setUint32(at + Off.bodyLength, bodyLength, true);
  view.setUint32(at + Off.routeId, routeId, true);
  view.setUint32(at + Off.handleCount, handleCount, true);
  view.setUint32(at + Off.seq, seq >>> 0, true);
  view.setUint32(at + Off.seq + 4, Math.floor(seq / 0x1_0000_0000), true);
  view.setUint32(at + Off.typeId, type.lo, true);
  view.setUint32(at + Off.typeId + 4, type.hi, true);
}
