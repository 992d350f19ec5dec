// The TypeScript twin of make() in test/c/lib-peer.c: message i of the bytes,
// ping (example.v1.Ping, protobuf) and vec2 (example.v1.Vec2 packet)
// channels, and a check of a received one. Keep the two in step.
import { join } from "node:path";
import { create, equals } from "@bufbuild/protobuf";
import { BytesChannel, type ChannelType } from "protochan";
import { PingChannel } from "../../generated/example/v1/example_chan.js";
import { PingSchema, type Ping } from "../../generated/example/v1/example_pb.js";
import { Vec2PacketChannel, Vec2View } from "../../generated/example/v1/packets_packet.js";
import { root } from "../c-layout/c-build.js";
import { buildWithLib } from "./c-lib.js";

export type Kind = "bytes" | "ping" | "vec2";
export const KINDS: readonly Kind[] = ["bytes", "ping", "vec2"];

const source = join(root, "test", "c", "lib-peer.c");
/** test/c/lib-peer.c on the C library. */
export const buildLibPeer = (): string => buildWithLib("c-lib", "lib-peer", [source]);
/** The same with AddressSanitizer and UndefinedBehaviorSanitizer: any memory error aborts it. */
export const buildSanitizedLibPeer = (): string =>
  buildWithLib("c-lib-sanitized", "lib-peer", [source], ["-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]);

export function bytesMessage(i: number): Uint8Array {
  const out = new Uint8Array((i * 7) % 300);
  for (let j = 0; j < out.length; j++) out[j] = (i + j) & 0xff;
  return out;
}

export function pingMessage(i: number): Ping {
  const payload = new Uint8Array(i % 5);
  for (let j = 0; j < payload.length; j++) payload[j] = (i * 3 + j) & 0xff;
  return create(PingSchema, { seq: BigInt(i) * 0x100000001n, text: `ping-${i}${i % 3 === 0 ? "µ" : ""}`, payload });
}

export function vec2Message(i: number, view = Vec2View.create()): Vec2View {
  view.x = i / 2;
  view.y = -i;
  return view;
}

interface KindOps<T> {
  readonly channel: ChannelType<T>;
  make(i: number): T;
  /** undefined if `got` is message i, else what differs. */
  mismatch(got: T, i: number): string | undefined;
}

const bytes: KindOps<Uint8Array> = {
  channel: BytesChannel,
  make: bytesMessage,
  mismatch: (got, i) => (Buffer.from(got).equals(bytesMessage(i)) ? undefined : `bytes message ${i} differs`),
};
const ping: KindOps<Ping> = {
  channel: PingChannel,
  make: pingMessage,
  mismatch: (got, i) => (equals(PingSchema, got, pingMessage(i)) ? undefined : `ping ${i} differs: seq ${got.seq} text ${got.text}`),
};
const vec2: KindOps<Vec2View> = {
  channel: Vec2PacketChannel,
  make: (i) => vec2Message(i),
  mismatch: (got, i) => (got.x === i / 2 && got.y === -i ? undefined : `vec2 ${i} is (${got.x}, ${got.y})`),
};

/** The channel and messages of a kind; the values stay opaque to the tests. */
export function opsOf(kind: Kind): KindOps<unknown> {
  const all = { bytes, ping, vec2 } as Record<Kind, KindOps<unknown>>;
  return all[kind];
}
