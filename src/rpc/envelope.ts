// What a call looks like on a channel. A call is one message on the
// service's call channel; it carries the sender for its replies (and, for
// client and bidi streaming, a receiver of requests), so a call needs no
// setup of its own and a worker can answer it from anywhere. Bodies are the
// protobuf encodings of the request and response messages. Envelopes are
// msgpack, so their shape is checked on arrival: a peer sending another shape
// breaks the protocol (ProtocolError), it cannot make a handler or a caller
// trip over a missing field.
import { defineCustomChannel, type ChannelType } from "../codec/channel-type.js";
import { Receiver } from "../ends/receiver.js";
import { Sender } from "../ends/sender.js";
import type { Codec } from "../codec/codec.js";
import { msgpackCodec } from "../codec/msgpack.js";
import { ProtocolError } from "../errors.js";
import { RpcError, rpcCodeOf } from "./errors.js";

export { decodeMessage, encodeMessage } from "./messages.js";

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
  // `code` is an RpcCode when we send it; a peer may send any string.
  | { readonly error: { readonly code: string; readonly message: string; readonly details: readonly EncodedDetail[] } }
  | { readonly end: true };

/** An error detail as it travels: a protobuf message, by type name and bytes. */
export interface EncodedDetail {
  readonly type: string;
  readonly value: Uint8Array;
}

/** msgpack, and on decoding the shape check `valid` (a failure is the peer's protocol error). */
function checkedMsgpack<T>(what: string, valid: (v: Record<string, unknown>) => boolean): Codec<T> {
  return {
    encode: (value, out, handles) => msgpackCodec.encode(value, out, handles),
    decode(bytes, handles) {
      const value = msgpackCodec.decode(bytes, handles);
      if (!isRecord(value) || !valid(value)) throw new ProtocolError(`${what} of an unexpected shape`);
      return value as T;
    },
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const optional = (v: unknown, check: (v: unknown) => boolean) => v === undefined || check(v);
const isBytes = (v: unknown) => v instanceof Uint8Array;

function isCall(c: Record<string, unknown>): boolean {
  return (
    typeof c.method === "string" &&
    c.reply instanceof Sender &&
    optional(c.request, isBytes) &&
    optional(c.requests, (r) => r instanceof Receiver) &&
    optional(c.timeoutMs, (t) => typeof t === "number" && t >= 0)
  );
}

function isReply(r: Record<string, unknown>): boolean {
  if ("ok" in r) return isBytes(r.ok);
  if ("end" in r) return r.end === true;
  const e = r.error;
  return (
    isRecord(e) &&
    typeof e.message === "string" &&
    Array.isArray(e.details) &&
    e.details.every((d) => isRecord(d) && typeof d.type === "string" && isBytes(d.value))
  );
}

export const CallChannel: ChannelType<CallEnvelope> = defineCustomChannel(
  "protochan.rpc.Call",
  checkedMsgpack<CallEnvelope>("call", isCall),
  true,
);
export const ReplyChannel: ChannelType<ReplyFrame> = defineCustomChannel(
  "protochan.rpc.Reply",
  checkedMsgpack<ReplyFrame>("reply", isReply),
);

export function errorFrame(err: unknown): ReplyFrame {
  if (err instanceof RpcError) {
    const details = err.rawDetails.map((d) => ({ type: d.typeName, value: d.value }));
    return { error: { code: err.rpcCode, message: err.message, details } };
  }
  return { error: { code: "internal", message: err instanceof Error ? err.message : String(err), details: [] } };
}

/** The caller's RpcError for an error reply; a code it does not know is "unknown". */
export function errorOf(frame: Extract<ReplyFrame, { error: unknown }>): RpcError {
  const { code, message, details } = frame.error;
  return new RpcError(
    rpcCodeOf(code),
    message,
    details.map((d) => ({ typeName: d.type, value: d.value })),
  );
}
