// What a call looks like on a channel. A call is one message on the
// service's call channel; it carries the sender for its replies (and, for
// client and bidi streaming, a receiver of requests), so a call needs no
// setup of its own and a worker can answer it from anywhere. Bodies are the
// protobuf encodings of the request and response messages.
import { create, type DescMessage, type Message } from "@bufbuild/protobuf";
import { channelTypeById, defineCustomChannel, type ChannelType } from "../channel/channel-type.js";
import type { Receiver } from "../channel/receiver.js";
import type { Sender } from "../channel/sender.js";
import type { Codec } from "../codec/codec.js";
import { msgpackCodec } from "../codec/msgpack.js";
import { reflectiveCodec } from "../codec/protobuf.js";
import { ByteWriter } from "../wire/byte-writer.js";
import { typeIdOf } from "../wire/type-id.js";
import { RpcError } from "./errors.js";

export interface CallEnvelope {
  /** The method's name in the schema, e.g. "Add". */
  readonly method: string;
  /** Unary and server streaming: the request. */
  readonly request?: Uint8Array;
  /** Client and bidi streaming: the requests, ending when the caller closes. */
  readonly requests?: Receiver<Uint8Array>;
  /** Where replies go; closing it (the caller going away) cancels the call. */
  readonly reply: Sender<ReplyFrame>;
  /** Milliseconds the handler has, from when it receives the call. */
  readonly timeoutMs?: number;
}

/** A response, an error, or the end of the responses. */
export type ReplyFrame =
  | { readonly ok: Uint8Array }
  | { readonly error: { readonly code: string; readonly message: string; readonly details: readonly EncodedDetail[] } }
  | { readonly end: true };

/** An error detail as it travels: a protobuf message, by type name and bytes. */
export interface EncodedDetail {
  readonly type: string;
  readonly value: Uint8Array;
}

export const CallChannel: ChannelType<CallEnvelope> = defineCustomChannel(
  "protochan.rpc.Call",
  msgpackCodec as Codec<CallEnvelope>,
  true,
);
export const ReplyChannel: ChannelType<ReplyFrame> = defineCustomChannel("protochan.rpc.Reply", msgpackCodec as Codec<ReplyFrame>);

/** The codec of a message type: its generated one if a _chan.ts registered it. */
function codecOf(desc: DescMessage): Codec<Message> {
  return (channelTypeById(typeIdOf(desc.typeName))?.codec ?? reflectiveCodec(desc)) as Codec<Message>;
}

export function encodeMessage(desc: DescMessage, value: object): Uint8Array {
  const message = "$typeName" in value ? (value as Message) : create(desc, value as never);
  const w = new ByteWriter(256);
  codecOf(desc).encode(message, w);
  return w.take();
}

export function decodeMessage(desc: DescMessage, bytes: Uint8Array): Message {
  return codecOf(desc).decode(bytes);
}

export function errorFrame(err: unknown): ReplyFrame {
  if (err instanceof RpcError) {
    const details = err.details.map((d) => {
      const type = channelTypeById(typeIdOf(d.$typeName));
      const w = new ByteWriter(64);
      (type?.codec as Codec<Message> | undefined)?.encode(d, w);
      return { type: d.$typeName, value: w.take() };
    });
    return { error: { code: err.code, message: err.message, details } };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { error: { code: "INTERNAL", message, details: [] } };
}

export function errorOf(frame: Extract<ReplyFrame, { error: unknown }>): RpcError {
  const details = frame.error.details.flatMap((d) => {
    const type = channelTypeById(typeIdOf(d.type));
    return type === undefined ? [] : [type.codec.decode(d.value) as Message];
  });
  return new RpcError(frame.error.code, frame.error.message, details);
}
