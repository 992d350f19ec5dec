// Protobuf messages of calls (requests, responses, error details): encoded by
// their generated codec when a _chan.ts module registered one, else by
// @bufbuild/protobuf's reflective codec.
import { create, type DescMessage, type Message } from "@bufbuild/protobuf";
import { channelTypeById } from "../codec/channel-type.js";
import type { Codec } from "../codec/codec.js";
import { reflectiveCodec } from "../codec/protobuf.js";
import { ByteWriter } from "../wire/byte-writer.js";
import { typeIdOf } from "../wire/type-id.js";

/** The codec registered for the message type `typeName`, if this process imported one. */
export function registeredCodec(typeName: string): Codec<Message> | undefined {
  const type = channelTypeById(typeIdOf(typeName));
  return type?.typeName === typeName ? (type.codec as Codec<Message>) : undefined;
}

function codecOf(desc: DescMessage): Codec<Message> {
  return registeredCodec(desc.typeName) ?? (reflectiveCodec(desc) as Codec<Message>);
}

export function encodeWith(codec: Codec<Message>, message: Message): Uint8Array {
  const w = new ByteWriter(256);
  codec.encode(message, w);
  return w.take();
}

export function encodeMessage(desc: DescMessage, value: object): Uint8Array {
  const message = "$typeName" in value ? (value as Message) : create(desc, value as never);
  return encodeWith(codecOf(desc), message);
}

export function decodeMessage(desc: DescMessage, bytes: Uint8Array): Message {
  return codecOf(desc).decode(bytes);
}
