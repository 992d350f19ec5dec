// A channel type names what travels on a channel: its wire type id and codec.
// Generated <file>_chan.ts files define one per message.
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { Codec } from "../codec/codec.js";
import { reflectiveCodec } from "../codec/protobuf.js";
import { msgpackCodec } from "../codec/msgpack.js";
import { bytesCodec } from "../codec/bytes.js";
import { typeIdOf } from "../wire/type-id.js";

export interface ChannelType<T> {
  readonly kind: "protochan.channel";
  /** Full protobuf type name, or a protochan pseudo-type for untyped channels. */
  readonly typeName: string;
  /** typeIdOf(typeName): sent in every frame, checked by the peer. */
  readonly typeId: bigint;
  readonly codec: Codec<T>;
  /** Body bytes a value is charged against the flow-control window. */
  readonly sizeHint?: (value: T) => number;
}

export function defineChannel<Desc extends DescMessage>(
  schema: Desc,
  codec: Codec<MessageShape<Desc>> = reflectiveCodec(schema),
): ChannelType<MessageShape<Desc>> {
  return defineCustomChannel(schema.typeName, codec);
}

export function defineCustomChannel<T>(typeName: string, codec: Codec<T>): ChannelType<T> {
  return { kind: "protochan.channel", typeName, typeId: typeIdOf(typeName), codec };
}

/** Untyped values encoded with msgpack. */
export const AnyChannel: ChannelType<unknown> = defineCustomChannel("protochan.any", msgpackCodec);

/** Raw Uint8Array bodies. */
export const BytesChannel: ChannelType<Uint8Array> = defineCustomChannel("protochan.bytes", bytesCodec);

/** Accepts a channel type or a bare message schema. */
export type ChannelSpec<T> = ChannelType<T> | (DescMessage & { $type?: T });

export function toChannelType<T>(spec: ChannelSpec<T>): ChannelType<T> {
  if (spec.kind === "protochan.channel") return spec;
  return defineChannel(spec) as unknown as ChannelType<T>;
}
