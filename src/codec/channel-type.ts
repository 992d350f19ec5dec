// A channel type names what travels on a channel: its wire type id and codec.
// Generated <file>_chan.ts files define one per message.
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { Codec } from "./codec.js";
import { reflectiveCodec } from "./protobuf.js";
import { msgpackCodec } from "./msgpack.js";
import { bytesCodec } from "./bytes.js";
import { withHandleFields, type HandleField } from "./handle-fields.js";
import { typeIdOf } from "../wire/type-id.js";
import { shapeOf, shapeOfLayout, type LayoutShape, type TypeShape } from "./schema-description.js";
import { splitTypeId, type TypeIdHalves } from "../wire/header.js";

export interface ChannelType<T> {
  readonly kind: "protochan.channel";
  /** Full protobuf type name, or a protochan pseudo-type for untyped channels. */
  readonly typeName: string;
  /** typeIdOf(typeName): sent in every frame, checked by the peer. */
  readonly typeId: bigint;
  /** typeId as the two 32-bit halves the frame header stores. */
  readonly wireType: TypeIdHalves;
  readonly codec: Codec<T>;
  /** Whether values may carry channel ends (senders/receivers) inside them. */
  readonly handles: boolean;
  /** The protobuf message type, for protobuf channels: its shape is compared with the peer's (schema negotiation). */
  readonly schema?: DescMessage;
  /** The C layout, for C-layout packet channels: compared with the peer's up to the shorter struct. */
  readonly cLayout?: LayoutShape;
}

// Channel types by wire type id: a process that receives a channel end of a
// type learns its codec here (importing a generated _chan.ts registers it).
const registry = new Map<bigint, ChannelType<unknown>>();

export function channelTypeById(typeId: bigint): ChannelType<unknown> | undefined {
  return registry.get(typeId);
}

export function defineChannel<Desc extends DescMessage>(
  schema: Desc,
  codec: Codec<MessageShape<Desc>> = reflectiveCodec(schema),
): ChannelType<MessageShape<Desc>> {
  return makeChannel(schema.typeName, codec, false, { schema });
}

/** A C-layout packet channel (definePacketChannel): its layout is negotiated with the peer. */
export function defineLayoutChannel<T>(typeName: string, codec: Codec<T>, cLayout: LayoutShape): ChannelType<T> {
  return makeChannel(typeName, codec, false, { cLayout });
}

/** What a peer is told about `type` (schema negotiation); undefined for types without a schema. */
export function shapeOfChannel(type: ChannelType<unknown>): TypeShape | undefined {
  if (type.schema !== undefined) return shapeOf(type.schema);
  if (type.cLayout !== undefined) return shapeOfLayout(type.typeName, type.cLayout);
  return undefined;
}

export function defineCustomChannel<T>(typeName: string, codec: Codec<T>, handles = false): ChannelType<T> {
  return makeChannel(typeName, codec, handles, {});
}

function makeChannel<T>(
  typeName: string,
  codec: Codec<T>,
  handles: boolean,
  described: { readonly schema?: DescMessage; readonly cLayout?: LayoutShape },
): ChannelType<T> {
  const typeId = typeIdOf(typeName);
  const type: ChannelType<T> = {
    kind: "protochan.channel",
    typeName,
    typeId,
    wireType: splitTypeId(typeId),
    codec,
    handles,
    ...described,
  };
  if (!registry.has(type.typeId)) registry.set(type.typeId, type as ChannelType<unknown>);
  return type;
}

/** A protobuf message whose handle fields are channel ends (generated for such messages). */
export function defineHandleChannel<Desc extends DescMessage, T>(
  schema: Desc,
  codec: Codec<MessageShape<Desc>>,
  fields: readonly HandleField[],
): ChannelType<T> {
  return makeChannel(schema.typeName, withHandleFields<MessageShape<Desc>, T>(codec, fields), true, { schema });
}

/** Untyped values encoded with msgpack; they may carry senders and receivers. */
export const AnyChannel: ChannelType<unknown> = defineCustomChannel("protochan.any", msgpackCodec, true);

/** Raw Uint8Array bodies. */
export const BytesChannel: ChannelType<Uint8Array> = defineCustomChannel("protochan.bytes", bytesCodec);

/** Accepts a channel type or a bare message schema. */
export type ChannelSpec<T> = ChannelType<T> | (DescMessage & { $type?: T });

export function toChannelType<T>(spec: ChannelSpec<T>): ChannelType<T> {
  if (spec.kind === "protochan.channel") return spec;
  return defineChannel(spec) as unknown as ChannelType<T>;
}
