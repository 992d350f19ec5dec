// The two channels of a packet stream (docs/packet-streaming.md):
//
// - control, client → server, the packet server's one-shot channel: one
//   message, the client's STREAM_HELLO (where to deliver, how large a batch may be);
// - data, producer → client, the client's own one-shot channel: OPEN, then
//   BATCH messages, then END (format.ts).
//
// Both are named after the packet type, so a client and a server built for
// different packet types are refused at the handshake.
import { defineCustomChannel, type ChannelType } from "../codec/channel-type.js";
import type { Codec } from "../codec/codec.js";
import { ByteWriter } from "../wire/byte-writer.js";
import type { PacketViewBase } from "../packet/view.js";
import { PacketDecodeError } from "./errors.js";
import { StreamKind, type DecodedMessage, type PacketFormat, type ReceivedBatch } from "./format.js";

export const CONTROL_PREFIX = "protochan.packet_stream.control.";
export const DATA_PREFIX = "protochan.packet_stream.data.";
export const STREAM_VERSION = 1;

/** The client's one message on the control channel. */
export interface StreamHello {
  /** The one-shot server name the producer connects to for the data channel. */
  readonly dataName: string;
  /** Largest batch message body the client accepts (its data channel's frame limit minus the 40-byte header). */
  readonly maxBatchBytes: number;
}

const HELLO_FIXED = 12;
const EMPTY = new Uint8Array(0);
/** The connection writes bodies at least this large by reference (src/connection/connection.ts). */
const ZERO_COPY_MIN = 64 * 1024;
const MAX_NAME = 4096;

const helloCodec: Codec<StreamHello> = {
  encode(value, out) {
    const name = new TextEncoder().encode(value.dataName);
    out.uint32(STREAM_VERSION);
    out.uint32(value.maxBatchBytes);
    out.uint32(name.length);
    out.bytes(name);
  },
  decode(bytes) {
    if (bytes.length < HELLO_FIXED) throw new PacketDecodeError(`stream hello of ${bytes.length} bytes`);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const version = v.getUint32(0, true);
    if (version !== STREAM_VERSION) throw new PacketDecodeError(`stream hello of version ${version}, expected ${STREAM_VERSION}`);
    const length = v.getUint32(8, true);
    if (length > MAX_NAME || HELLO_FIXED + length !== bytes.length) throw new PacketDecodeError("stream hello: bad name length");
    let dataName: string;
    try {
      dataName = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(HELLO_FIXED));
    } catch (err) {
      throw new PacketDecodeError("stream hello: the name is not UTF-8", { cause: err });
    }
    return { maxBatchBytes: v.getUint32(4, true), dataName };
  },
};

export function controlChannel(typeName: string): ChannelType<StreamHello> {
  return defineCustomChannel(CONTROL_PREFIX + typeName, helloCodec);
}

/** What travels on the data channel: what the producer sends, and what the client decodes. */
export type DataMessage<V extends PacketViewBase> =
  | { readonly kind: "open" }
  | { readonly kind: "end" }
  | { readonly kind: "packets"; readonly packets: Iterable<V> }
  /** A complete batch body built by a PacketBatchBuilder (its buffer is never written again). */
  | { readonly kind: "encoded"; readonly body: Uint8Array; readonly count: number }
  | DecodedMessage<V>;

export function dataChannel<V extends PacketViewBase>(format: PacketFormat<V>): ChannelType<DataMessage<V>> {
  const codec: Codec<DataMessage<V>> = {
    encode(value, out) {
      switch (value.kind) {
        case "open":
          return format.writeHeader(out, StreamKind.Open, 0);
        case "end":
          return format.writeHeader(out, StreamKind.End, 0);
        case "packets":
          format.writeBatch(out, value.packets);
          return;
        case "batch":
          format.writeBatch(out, value.batch as ReceivedBatch<V>);
          return;
        case "encoded":
          return out.bytes(value.body);
      }
    },
    decode(bytes) {
      return format.decode(bytes);
    },
    zeroCopyBody(value) {
      // Large batches go to the socket by reference, built in a buffer of
      // their exact size; the rest are encoded into the connection's buffer above.
      if (value.kind === "encoded") return value.body;
      const packets = value.kind === "packets" ? value.packets : value.kind === "batch" ? value.batch : undefined;
      const size = packets === undefined ? undefined : format.encodedSize(packets);
      if (packets === undefined || size === undefined || size < ZERO_COPY_MIN) return EMPTY;
      const out = new ByteWriter(size);
      format.writeBatch(out, packets);
      return out.buf.subarray(0, out.pos);
    },
  };
  return defineCustomChannel(DATA_PREFIX + format.typeName, codec);
}
