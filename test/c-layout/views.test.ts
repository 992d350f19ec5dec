// Packet views: zero-copy wrapping, range-checked setters, bounded fields,
// oneof and optional handling, batches, and the packet channel codec.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteWriter } from "protochan/codegenv1";
import { HANDLE_NONE, PacketBatch, PacketRangeError, PacketSizeError, ProtochanError, packetBatchCodec } from "protochan";
import { handleOffsets } from "../../src/packet/view.js";
import { MailboxView, SampleView, SamplePacketChannel, Vec2View } from "../../generated/example/v1/packets_packet.js";
import { FrameHeaderView, FrameHeaderPacketChannel } from "../../generated/protochan/v1/wire_packet.js";
import { PacketView } from "../../generated/protochan/v1/packet_packet.js";
import { sampleA, sampleAObject } from "./samples.js";

function rangeError(field: string) {
  return (err: unknown) => {
    assert.ok(err instanceof PacketRangeError && err instanceof ProtochanError, String(err));
    assert.equal(err.code, "PACKET_RANGE");
    assert.equal(err.field, field);
    return true;
  };
}

test("wrap() makes no copy: writes through the view show in the buffer and back", () => {
  const buf = new Uint8Array(FrameHeaderView.layout.size + 8);
  const h = FrameHeaderView.wrap(buf);
  assert.equal(h.bytes.buffer, buf.buffer);
  h.routeId = 0x01020304;
  assert.deepEqual([...buf.subarray(16, 20)], [4, 3, 2, 1]);
  buf[24] = 9;
  assert.equal(h.seq, 9n);
  assert.equal(h.bytes.length, 40, "a longer buffer is viewed up to the struct size");
});

test("wrap() of too few bytes throws PacketSizeError", () => {
  assert.throws(
    () => FrameHeaderView.wrap(new Uint8Array(39)),
    (e: unknown) => e instanceof PacketSizeError && e.code === "PACKET_SIZE",
  );
});

test("create() is zeroed and copy() is independent", () => {
  const s = SampleView.create();
  assert.ok(s.bytes.every((b) => b === 0));
  const a = sampleA();
  const b = a.copy();
  b.id = 1n;
  assert.equal(a.id, sampleAObject.id);
  assert.deepEqual(a.toObject(), sampleAObject);
});

test("setters range-check narrowed and full-width integers and name the field", () => {
  const s = SampleView.create();
  assert.throws(() => {
    s.offset = 128;
  }, rangeError("example.v1.Sample.offset"));
  assert.throws(() => {
    s.offset = -129;
  }, rangeError("example.v1.Sample.offset"));
  assert.throws(() => {
    s.channel = 65536;
  }, rangeError("example.v1.Sample.channel"));
  assert.throws(() => {
    s.channel = 1.5;
  }, rangeError("example.v1.Sample.channel"));
  assert.throws(() => {
    s.delta = 2 ** 31;
  }, rangeError("example.v1.Sample.delta"));
  assert.throws(() => {
    s.id = -1n;
  }, rangeError("example.v1.Sample.id"));
  assert.throws(() => {
    s.timestampNs = 2n ** 63n;
  }, rangeError("example.v1.Sample.timestamp_ns"));
  assert.throws(() => {
    s.battery = 256;
  }, rangeError("example.v1.Sample.battery"));
  s.offset = -128;
  s.channel = 65535;
  assert.equal(s.offset, -128);
  assert.equal(s.channel, 65535);
  assert.ok(
    s.bytes.every((b, i) => b === 0 || (i >= 9 && i < 12)),
    "failed sets wrote nothing",
  );
});

test("bounded strings, bytes and arrays check their capacity", () => {
  const s = SampleView.create();
  s.name = "x".repeat(16);
  assert.throws(() => {
    s.name = "x".repeat(17);
  }, rangeError("example.v1.Sample.name"));
  assert.throws(
    () => {
      s.name = "ü".repeat(9);
    },
    rangeError("example.v1.Sample.name"),
    "the bound is in UTF-8 bytes",
  );
  assert.throws(
    () => {
      s.mac = new Uint8Array(5);
    },
    rangeError("example.v1.Sample.mac"),
    "fixed_length needs exactly 6 bytes",
  );
  assert.throws(() => {
    s.readings = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  }, rangeError("example.v1.Sample.readings"));
  assert.throws(
    () => {
      s.weights = [1, 2];
    },
    rangeError("example.v1.Sample.weights"),
    "fixed_count needs exactly 3",
  );
  assert.throws(() => {
    s.readings = [1, 2 ** 40];
  }, rangeError("example.v1.Sample.readings[1]"));
  assert.throws(() => {
    s.path = new Array(5).fill({ x: 0, y: 0 });
  }, rangeError("example.v1.Sample.path"));
  s.readings = [1, 2];
  assert.throws(() => {
    s.readings = [3, 2 ** 40];
  }, rangeError("example.v1.Sample.readings[1]"));
  assert.deepEqual(s.readings, [1, 2], "a failed array set changes nothing");
});

test("shrinking a string or array zeroes the bytes it no longer uses", () => {
  const s = SampleView.create();
  s.name = "longer name";
  s.name = "ab";
  assert.deepEqual([...s.bytes.subarray(40, 56)], [97, 98, ...new Array(14).fill(0)]);
  s.readings = [5, 6, 7];
  s.readings = [5];
  assert.ok(s.bytes.subarray(72, 100).every((b) => b === 0));
});

test("a corrupt stored length from a peer is reported, not read past the array", () => {
  const s = SampleView.create();
  s.view.setUint32(36, 17, true); // name_len > 16
  assert.throws(() => s.name, rangeError("example.v1.Sample.name"));
  s.view.setUint32(156, 99, true); // unknown oneof case
  assert.throws(() => s.shape, rangeError("example.v1.Sample.shape"));
});

test("oneof: switching members zeroes the union; self-assignment keeps the value", () => {
  const s = sampleA();
  // biome-ignore lint/correctness/noSelfAssign: the self-assignment is what is tested
  s.shape = s.shape; // the circle view points into the very union being rewritten
  assert.deepEqual(s.toObject().shape, sampleAObject.shape);
  s.shape = { case: "code", value: 7 };
  assert.deepEqual([...s.bytes.subarray(160, 176)], [7, 0, 0, 0, ...new Array(12).fill(0)]);
  const before = s.bytes.slice();
  assert.throws(() => {
    s.shape = { case: "code", value: 2 ** 40 };
  }, rangeError("example.v1.Sample.code"));
  assert.deepEqual(s.bytes, before, "a failed oneof set changes nothing");
  s.shape = { case: undefined };
  assert.equal(s.view.getUint32(156, true), 0);
  assert.deepEqual(s.shape, { case: undefined });
});

test("optional: undefined clears the presence byte and the value", () => {
  const s = SampleView.create();
  s.battery = 0;
  assert.equal(s.battery, 0, "0 is a present value");
  assert.equal(s.bytes[176], 1);
  s.battery = undefined;
  assert.equal(s.battery, undefined);
  assert.equal(s.bytes[176], 0);
});

test("nested structs are zero-copy views; arrays of structs can be rewritten from their own views", () => {
  const s = SampleView.create();
  s.position.x = 3;
  assert.equal(s.position.x, 3);
  s.path = [
    { x: 1, y: 2 },
    { x: 3, y: 4 },
  ];
  s.path = s.path.reverse();
  assert.deepEqual(
    s.path.map((p) => p.toObject()),
    [
      { x: 3, y: 4 },
      { x: 1, y: 2 },
    ],
  );
  assert.ok(s.path[0] instanceof Vec2View);
});

test("fields named like view members are renamed with a $ suffix", () => {
  // protochan.v1.Packet has no such field; the layout table still uses C names.
  const p = PacketView.create();
  p.payload = new Uint8Array([1, 2, 3]);
  assert.deepEqual([...p.payload], [1, 2, 3]);
  assert.equal(p.payload.buffer, p.bytes.buffer, "bytes getters are zero-copy");
});

test("batches: length, bounds-checked get, iteration, zero-copy", () => {
  const batch = SampleView.createBatch(3);
  assert.equal(batch.length, 3);
  batch.get(2).id = 5n;
  assert.equal([...batch].map((s) => s.id).join(","), "0,0,5");
  assert.throws(
    () => batch.get(3),
    (e: unknown) => e instanceof PacketRangeError,
  );
  assert.throws(
    () => batch.get(-1),
    (e: unknown) => e instanceof PacketRangeError,
  );
  assert.throws(
    () => SampleView.batch(new Uint8Array(191)),
    (e: unknown) => e instanceof PacketSizeError,
  );
  const again = SampleView.batch(batch.bytes);
  assert.equal(again.get(2).id, 5n);
});

test("packet channels send the raw struct bytes and decode without copying", () => {
  assert.equal(SamplePacketChannel.typeName, "example.v1.Sample");
  assert.equal(SamplePacketChannel.typeId, SampleView.layout.typeId);
  assert.equal(FrameHeaderPacketChannel.typeId, 0x8e2a0e3c8d60fe36n);
  const out = new ByteWriter();
  SamplePacketChannel.codec.encode(sampleA(), out);
  const body = out.take();
  assert.deepEqual(body, sampleA().bytes);
  const decoded = SamplePacketChannel.codec.decode(body);
  assert.equal(decoded.bytes.buffer, body.buffer);
  assert.deepEqual(decoded.toObject(), sampleAObject);
  assert.throws(
    () => SamplePacketChannel.codec.decode(body.subarray(1)),
    (e: unknown) => e instanceof PacketSizeError,
  );
});

test("batch codec round-trips a batch", () => {
  const codec = packetBatchCodec(SampleView);
  const batch = SampleView.createBatch(2);
  batch.get(1).acks = HANDLE_NONE;
  const out = new ByteWriter();
  codec.encode(batch, out);
  const back = codec.decode(out.take());
  assert.ok(back instanceof PacketBatch);
  assert.equal(back.get(1).acks, HANDLE_NONE);
});

test("handleOffsets() finds the handles a packet holds: arrays by count, oneofs by case, nested structs", () => {
  const s = sampleA();
  assert.deepEqual(handleOffsets(s, SampleView.layout), [180]);
  const m = MailboxView.create();
  const layout = MailboxView.layout;
  const at = (name: string) => layout.members.find((x) => x.name === name)?.offset ?? -1;
  assert.deepEqual(handleOffsets(m, layout), [], "no inboxes, no reply case, no samples");
  m.inboxes = [4, 5];
  m.reply = { case: "replyTo", value: 6 };
  m.samples = [sampleAObject, { acks: HANDLE_NONE }];
  const offsets = handleOffsets(m, layout);
  assert.deepEqual(offsets, [
    at("inboxes"),
    at("inboxes") + 4,
    at("reply.reply_to"),
    at("samples") + 180,
    at("samples") + SampleView.layout.size + 180,
  ]);
  assert.deepEqual(
    offsets.map((o) => m.view.getUint32(o, true)),
    [4, 5, 6, 3, HANDLE_NONE],
  );
  m.reply = { case: "noReplyReason", value: 6 };
  assert.equal(handleOffsets(m, layout).length, 4, "a non-handle oneof member holds no handle");
});
