// Sample packets written by the TypeScript views. The golden fixtures in
// test/fixtures/golden/ are these bytes, and test/ffi/samples.c checks every
// field of them from C: keep the three in step.
import { FrameHeaderView } from "../../generated/protochan/v1/wire_packet.js";
import { PacketView } from "../../generated/protochan/v1/packet_packet.js";
import { SampleView, type SampleObject } from "../../generated/example/v1/packets_packet.js";
import { FrameKind } from "../../generated/protochan/v1/wire_pb.js";
import { Priority } from "../../generated/example/v1/packets_pb.js";
import { Level } from "../../generated/example/v1/example_pb.js";
import { HANDLE_NONE } from "protochan";
import type { PacketViewBase } from "protochan/codegenv1";

export function frameHeader(): FrameHeaderView {
  return FrameHeaderView.create().assign({
    magic: 0x4e484350,
    version: 1,
    headerSize: 40,
    kind: FrameKind.MESSAGE,
    flags: 0,
    bodyLength: 192,
    routeId: 7,
    handleCount: 1,
    seq: 42n,
    typeId: SampleView.layout.typeId,
  });
}

/** Every field set; the oneof holds a nested struct; the optional is present. */
export const sampleAObject: SampleObject = {
  id: 0x1122334455667788n,
  valid: true,
  offset: -5,
  channel: 65535,
  priority: Priority.HIGH,
  level: Level.WARN,
  temperature: 21.5,
  delta: -123456,
  name: "sensor-1 ü",
  mac: new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]),
  readings: [1, -2, 2147483647],
  weights: [0.25, 0.5, 1.5],
  position: { x: 1.5, y: -2.5 },
  path: [
    { x: 1, y: 2 },
    { x: 3, y: 4 },
  ],
  shape: { case: "circle", value: { center: { x: 10, y: 20 }, radius: 2.75 } },
  battery: 99,
  acks: 3,
  timestampNs: -1_000_000_000n,
};

/** Mostly zero; the oneof holds a fixed-length string; the optional is absent; no handle. */
export const sampleBObject: SampleObject = {
  id: 18446744073709551615n,
  valid: false,
  offset: 127,
  channel: 0,
  priority: Priority.UNSPECIFIED,
  level: Level.ERROR,
  temperature: -0.125,
  delta: 0,
  name: "",
  mac: new Uint8Array(6),
  readings: [],
  weights: [0, 0, 0],
  position: { x: 0, y: 0 },
  path: [],
  shape: { case: "label", value: "hello label!" },
  battery: undefined,
  acks: HANDLE_NONE,
  timestampNs: 0n,
};

export function sampleA(): SampleView {
  return SampleView.create().assign(sampleAObject);
}

export function sampleB(): SampleView {
  return SampleView.create().assign(sampleBObject);
}

export function packet(): PacketView {
  return PacketView.create().assign({
    timestampNs: 1_700_000_000_123_456_789n,
    originalLength: 1514,
    linkType: 1,
    payload: new Uint8Array([0x45, 0x00, 0x00, 0x1c, 0xff]),
  });
}

/** Fixture file name -> packet, in the order the C checker expects them. */
export const goldenSamples: ReadonlyArray<readonly [string, () => PacketViewBase]> = [
  ["frame_header.bin", frameHeader],
  ["sample_a.bin", sampleA],
  ["sample_b.bin", sampleB],
  ["packet.bin", packet],
];
