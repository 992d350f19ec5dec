// The batch format (docs/packet-streaming.md) on its own: layouts chosen per
// type, received views and copyPacket(), and validation of every count and
// length before a view is made.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteWriter } from "protochan/codegenv1";
import { copyPacket, PacketDecodeError, PacketRangeError, PacketSizeError, type ReceivedBatch } from "protochan";
import { PacketFormat, RecordLayout } from "../../src/packet-stream/format.js";
import { SampleView } from "../../generated/example/v1/packets_packet.js";
import { PacketView } from "../../generated/protochan/v1/packet_packet.js";
import { checkPacket, checkSample, fillSample, makePacket, payloadLength } from "./fixtures.js";

function encode<V extends PacketView | SampleView>(format: PacketFormat<V>, packets: Iterable<V>): Uint8Array {
  const w = new ByteWriter();
  format.writeBatch(w, packets);
  return w.take().slice();
}

function batchOf<V extends PacketView | SampleView>(format: PacketFormat<V>, body: Uint8Array): ReceivedBatch<V> {
  const m = format.decode(body);
  assert.equal(m.kind, "batch");
  return (m as { batch: ReceivedBatch<V> }).batch;
}

test("layouts: Packet is trimmed, Sample fixed; trimming a type without a bounded tail is refused", () => {
  assert.equal(new PacketFormat(PacketView).layout, RecordLayout.Trimmed);
  assert.deepEqual(new PacketFormat(PacketView).trim, { lenOffset: 16, dataOffset: 20, capacity: 65535 });
  assert.equal(new PacketFormat(SampleView).layout, RecordLayout.Fixed);
  assert.equal(new PacketFormat(PacketView, "fixed").layout, RecordLayout.Fixed);
  assert.throws(() => new PacketFormat(SampleView, "trimmed"), PacketSizeError);
});

test("trimmed Packet records: 8-byte header + used bytes padded to 8; views cover the record; copyPacket is full size", () => {
  const f = new PacketFormat(PacketView);
  const packets = Array.from({ length: 50 }, (_, i) => makePacket(i));
  const body = encode(f, packets);
  let expected = 16;
  for (let i = 0; i < 50; i++) expected += 8 + ((20 + payloadLength(i) + 7) & ~7);
  assert.equal(body.length, expected);
  const batch = batchOf(f, body);
  assert.equal(batch.length, 50);
  for (let i = 0; i < 50; i++) {
    const p = batch.get(i);
    assert.equal(checkPacket(p, i), undefined);
    assert.equal(p.bytes.length, 20 + payloadLength(i));
    assert.equal(p.bytes.buffer, body.buffer, "zero-copy: a view into the received body");
  }
  const copy = copyPacket(batch.get(7));
  assert.equal(copy.bytes.length, PacketView.layout.size);
  assert.notEqual(copy.bytes.buffer, body.buffer);
  assert.equal(checkPacket(copy, 7), undefined);
  copy.payload = new Uint8Array(3000).fill(1); // a full struct takes any payload
  assert.equal(copy.payload.length, 3000);
  assert.equal(checkPacket(batch.get(7), 7), undefined, "the received packet is unchanged");
  // A received batch can be sent on as it is.
  assert.deepEqual(encode(f, batch), body);
  assert.throws(() => batch.get(50), PacketRangeError);
});

test("fixed Sample batches are the C array; a longer struct (later layout_version) is accepted, a shorter refused", () => {
  const f = new PacketFormat(SampleView);
  const src = SampleView.createBatch(4);
  for (let i = 0; i < 4; i++) fillSample(src.get(i), i);
  const body = encode(f, src);
  assert.equal(body.length, 16 + 4 * 192);
  assert.deepEqual(body.subarray(16), src.bytes);
  // The same packets from a peer whose struct has 8 more bytes appended.
  const wide = new Uint8Array(16 + 4 * 200);
  wide.set(body.subarray(0, 16));
  new DataView(wide.buffer).setUint32(12, 200, true);
  for (let i = 0; i < 4; i++) wide.set(src.get(i).bytes, 16 + i * 200);
  const batch = batchOf(f, wide);
  for (let i = 0; i < 4; i++) {
    assert.equal(checkSample(batch.get(i), i), undefined);
    assert.equal(batch.get(i).bytes.length, 192);
  }
  const narrow = body.slice();
  new DataView(narrow.buffer).setUint32(12, 184, true);
  assert.throws(() => f.decode(narrow), PacketDecodeError);
});

test("corrupt batches are PacketDecodeErrors, each checked before any view", () => {
  const f = new PacketFormat(PacketView);
  const good = encode(f, [makePacket(1, 10), makePacket(2, 30)]);
  // biome-ignore lint/suspicious/noConfusingVoidType: a mutating callback returns nothing, a slicing one a new buffer
  const corrupt = (what: string, change: (v: DataView, b: Uint8Array) => Uint8Array | undefined | void) => {
    const b = good.slice();
    const out = change(new DataView(b.buffer), b) ?? b;
    assert.throws(
      () => f.decode(out),
      (err: unknown) => err instanceof PacketDecodeError && err.code === "PACKET_DECODE",
      what,
    );
  };
  assert.equal(batchOf(f, good).length, 2);
  corrupt("short header", (_, b) => b.subarray(0, 10));
  corrupt("magic", (v) => v.setUint32(0, 0, true));
  corrupt("kind", (v) => v.setUint16(4, 9, true));
  corrupt("layout", (v) => v.setUint16(6, 7, true));
  corrupt("count too high", (v) => v.setUint32(8, 3, true));
  corrupt("count absurd", (v) => v.setUint32(8, 0xffffffff, true));
  corrupt("record longer than the struct", (v) => v.setUint32(16, 70000, true));
  corrupt("record past the end", (v) => v.setUint32(16, 4000, true));
  corrupt("reserved", (v) => v.setUint32(20, 1, true));
  corrupt("payload_len beyond the record", (v) => v.setUint32(24 + 16, 11, true));
  corrupt("record stops inside the metadata", (v) => v.setUint32(16, 12, true));
  corrupt("trailing bytes", (_, b) => {
    const longer = new Uint8Array(b.length + 8);
    longer.set(b);
    return longer;
  });
  corrupt("END with a body", (v, b) => {
    v.setUint16(4, 3, true);
    return b;
  });
  // Fixed layout: the size must be exactly count × struct_size.
  const fixed = new PacketFormat(SampleView);
  const body = encode(fixed, SampleView.createBatch(2));
  new DataView(body.buffer).setUint32(8, 3, true);
  assert.throws(() => fixed.decode(body), PacketDecodeError);
});

test("usedLength refuses a stored length above the capacity when sending", () => {
  const f = new PacketFormat(PacketView);
  const p = makePacket(0, 4);
  p.view.setUint32(16, 70000, true);
  assert.throws(() => encode(f, [p]), PacketRangeError);
});
