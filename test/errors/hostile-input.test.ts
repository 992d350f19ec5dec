// Issue item 5: whatever bytes a peer sends, every decoder of the runtime
// either accepts them or throws a ProtochanError whose code is in ErrorCode —
// never a bare TypeError/RangeError. Random and mutated inputs (fast-check)
// go to the frame parser, the protobuf codecs (generated and reflective),
// msgpack and the RPC envelopes, packet views, packet-stream bodies and every
// fixed control body (HELLO, WELCOME, OPEN, HANDOFF, NODE_INFO, handle table).
import { test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import fc from "fast-check";
import { ERROR_CODES, ProtochanError } from "../../src/errors.js";
import type { Codec } from "../../src/codec/codec.js";
import { ByteWriter } from "../../src/wire/byte-writer.js";
import { FrameParser } from "../../src/wire/frame-parser.js";
import { HANDLE_ENTRY_SIZE, HEADER_SIZE, Kind, MAX_KIND, writeHeader } from "../../src/wire/header.js";
import { msgpackCodec } from "../../src/codec/msgpack.js";
import { reflectiveCodec } from "../../src/codec/protobuf.js";
import { CallChannel, ReplyChannel } from "../../src/rpc/envelope.js";
import { controlChannel, dataChannel } from "../../src/packet-stream/channels.js";
import { PacketFormat } from "../../src/packet-stream/format.js";
import { packetBatchCodec, packetCodec } from "../../src/packet/codec.js";
import type { PacketViewBase, PacketViewClass } from "../../src/packet/view.js";
import {
  decodeHandoff,
  decodeNodeAddress,
  decodeOpen,
  HANDOFF_SIZE,
  NODE_ADDRESS_SIZE,
  OPEN_SIZE,
  readHandleEntry,
} from "../../src/connection/routing-frames.js";
import { decodeHello, decodeWelcome, HELLO_SIZE, WELCOME_SIZE } from "../../src/bootstrap/handshake.js";
import { AllTypesCodec } from "../../generated/example/v1/all_types_codec.js";
import { AllTypesSchema } from "../../generated/example/v1/all_types_pb.js";
import { PingCodec, TelemetryCodec } from "../../generated/example/v1/example_codec.js";
import { ExchangeCodec } from "../../generated/example/v1/requests_codec.js";
import { LegacyCodec } from "../../generated/example/v1/legacy_codec.js";
import "../../generated/example/v1/requests_chan.js";
import { MailboxView, SampleView } from "../../generated/example/v1/packets_packet.js";

const RUNS = { numRuns: 400 };
const codes: readonly string[] = ERROR_CODES;

/** Runs `fn`; anything it throws must be one of ours, with a code in the union. */
function onlyOurs(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ProtochanError, `not a ProtochanError: ${inspect(err)}`);
    assert.ok(codes.includes(err.code), `code ${err.code} is not in ErrorCode`);
  }
}

const bytes = (maxLength = 300) => fc.uint8Array({ maxLength });

/** Random bytes, or a valid body of `size` bytes with a few bytes overwritten, or one cut short / padded. */
function nearly(size: number): fc.Arbitrary<Uint8Array> {
  const mutated = fc
    .tuple(
      fc.uint8Array({ minLength: size, maxLength: size }),
      fc.array(fc.tuple(fc.nat(size - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    )
    .map(([b, edits]) => {
      for (const [at, v] of edits) b[at] = v;
      return b;
    });
  return fc.oneof(
    bytes(size * 2),
    mutated,
    fc.nat(size + 8).map((n) => new Uint8Array(n)),
  );
}

test("frame parser: random streams, and frames with random header fields split at random points", () => {
  const limits = { maxFrameSize: 4096, maxHandles: 4 };
  const header = fc
    .record({
      kind: fc.integer({ min: 0, max: MAX_KIND + 2 }),
      route: fc.nat(),
      bodyLength: fc.oneof(fc.nat(64), fc.nat()),
      seqLo: fc.nat(),
      seqHi: fc.oneof(fc.constant(0), fc.nat()),
      handles: fc.oneof(fc.nat(5), fc.nat()),
      rest: bytes(200),
    })
    .map((h) => {
      const out = new Uint8Array(HEADER_SIZE + h.rest.length);
      const view = new DataView(out.buffer);
      writeHeader(view, 0, Kind.Message, h.route, h.bodyLength, 0, { lo: 0, hi: 0 }, h.handles);
      view.setUint16(8, h.kind, true); // Off.kind: any value, valid or not
      view.setUint32(24, h.seqLo, true);
      view.setUint32(28, h.seqHi, true);
      out.set(h.rest, HEADER_SIZE);
      return out;
    });
  const stream = fc.oneof(
    bytes(500),
    header,
    fc.array(header, { maxLength: 4 }).map((hs) => Buffer.concat(hs)),
  );
  fc.assert(
    fc.property(stream, fc.array(fc.nat(600), { maxLength: 4 }), (input, cuts) => {
      const parser = new FrameParser(limits, () => {});
      const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
      onlyOurs(() => {
        let from = 0;
        for (const p of [...points, input.length]) {
          parser.push(input.subarray(from, p));
          from = p;
        }
      });
    }),
    RUNS,
  );
});

test("protobuf codecs, generated and reflective: random bytes decode or throw one of ours", () => {
  const decoders: [string, Codec<unknown>][] = [
    ["AllTypes (generated)", AllTypesCodec as Codec<unknown>],
    ["AllTypes (reflective)", reflectiveCodec(AllTypesSchema) as Codec<unknown>],
    ["Ping", PingCodec as Codec<unknown>],
    ["Telemetry", TelemetryCodec as Codec<unknown>],
    ["Exchange (handle fields, no table)", ExchangeCodec as Codec<unknown>],
    ["Legacy (proto2, reflective)", LegacyCodec as Codec<unknown>],
  ];
  for (const [, codec] of decoders) {
    fc.assert(
      fc.property(bytes(), (b) => onlyOurs(() => void codec.decode(b))),
      RUNS,
    );
  }
});

test("msgpack and the RPC envelopes: random bodies and well-formed msgpack of the wrong shape", () => {
  const value = fc.anything({ maxDepth: 2, withBigInt: true, withTypedArray: true, withNullPrototype: true });
  const packed = value.map((v) => {
    const w = new ByteWriter(64);
    try {
      msgpackCodec.encode(v, w);
    } catch {
      // not every value packs; an empty body then
    }
    return w.take();
  });
  const input = fc.oneof(bytes(), packed);
  for (const codec of [msgpackCodec, CallChannel.codec, ReplyChannel.codec] as Codec<unknown>[]) {
    fc.assert(
      fc.property(input, (b) => onlyOurs(() => void codec.decode(b))),
      RUNS,
    );
  }
});

/** Decodes and reads every field (toObject), as a consumer would. */
function readAll(p: PacketViewBase): void {
  p.toObject();
}

test("packet views, batches and packet-stream bodies: corrupt lengths, cases and sizes", () => {
  for (const type of [SampleView, MailboxView] as PacketViewClass<PacketViewBase>[]) {
    const size = type.layout.size;
    fc.assert(
      fc.property(nearly(size), (b) => onlyOurs(() => readAll(packetCodec(type).decode(b)))),
      RUNS,
    );
    fc.assert(
      fc.property(nearly(size * 2), (b) =>
        onlyOurs(() => {
          for (const p of packetBatchCodec(type).decode(b)) readAll(p);
        }),
      ),
      RUNS,
    );
    for (const layout of ["fixed", "auto"] as const) {
      const data = dataChannel(new PacketFormat(type, layout)).codec;
      fc.assert(
        fc.property(nearly(16 + 8 + size), (b) =>
          onlyOurs(() => {
            const m = data.decode(b);
            if (m.kind === "batch") for (const p of m.batch) readAll(p);
          }),
        ),
        RUNS,
      );
    }
  }
  fc.assert(
    fc.property(nearly(40), (b) => onlyOurs(() => void controlChannel("x").codec.decode(b))),
    RUNS,
  );
});

test("fixed control bodies: HELLO, WELCOME, OPEN, HANDOFF, NODE_INFO and handle-table entries", () => {
  const bodies: [fc.Arbitrary<Uint8Array>, (b: Uint8Array) => unknown][] = [
    [nearly(HELLO_SIZE), decodeHello],
    [nearly(WELCOME_SIZE), decodeWelcome],
    [nearly(OPEN_SIZE), decodeOpen],
    [nearly(HANDOFF_SIZE), decodeHandoff],
    [nearly(NODE_ADDRESS_SIZE), decodeNodeAddress],
    // The frame parser hands the table out at its exact size (count × 40 bytes).
    [fc.uint8Array({ minLength: HANDLE_ENTRY_SIZE, maxLength: HANDLE_ENTRY_SIZE }), (b) => readHandleEntry(b, 0)],
  ];
  for (const [input, decode] of bodies) {
    fc.assert(
      fc.property(input, (b) => onlyOurs(() => void decode(b))),
      RUNS,
    );
  }
});
