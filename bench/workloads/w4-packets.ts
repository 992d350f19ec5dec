// W4: 100-byte C-layout packets one way (peer → bench process), packets per
// second, against raw net carrying the very same bytes.
//
// The packet: `bench.w4.Tick`, declared here rather than in schema/ (no schema
// change for a benchmark), written the way protoc-gen-protochan writes a view:
//
//   typedef struct bench_w4_Tick {   // 100 bytes, aligned to 4
//     uint32_t seq;                  // @0: the packet's index in the run
//     uint16_t channel;              // @4
//     uint16_t flags;                // @6
//     float values[23];              // @8
//   } bench_w4_Tick;
//
// Rows:
// - batches: 64 packets per frame, a PacketBatch<TickView> channel
//   (packetBatchCodec: the body is `bench_w4_Tick[64]`, 6,400 bytes, received
//   as zero-copy views); raw net sends the same 6,400-byte bodies.
// - single: one packet per frame, definePacketChannel(TickView) (the body is
//   the struct, like SamplePacketChannel); raw net sends 100-byte bodies.
// Both sides of both transports touch every packet: the sender writes seq
// (and channel) of each one, the receiver reads seq of each one and checks it
// is the next index, so a lost, repeated or reordered packet fails the run.
import { connect, defineCustomChannel, packetBatchCodec, typeIdOf, type ChannelType, type PacketBatch } from "protochan";
import { definePacketChannel, PacketViewBase, type PacketLayout } from "protochan/codegenv1";
import { interleave, median, now, requireEnv, tellParent, type Row, type RunOptions, type Workload } from "../harness.js";
import { receiveProtochan, receiveRaw } from "../one-way.js";
import { dialRaw, FrameWriter } from "../raw-net.js";

const SIZE = 100;
const BATCH = 64;
const BATCH_PACKETS = 2_000_000;
const SINGLE_PACKETS = 1_000_000;

/** Zero-copy view of bench.w4.Tick (what the generator would emit for it). */
export class TickView extends PacketViewBase {
  static readonly layout: PacketLayout = {
    typeName: "bench.w4.Tick",
    cName: "bench_w4_Tick",
    typeId: typeIdOf("bench.w4.Tick"),
    size: SIZE,
    align: 4,
    layoutVersion: 0,
    members: [
      { name: "seq", offset: 0, size: 4 },
      { name: "channel", offset: 4, size: 2 },
      { name: "flags", offset: 6, size: 2 },
      { name: "values", offset: 8, size: 92 },
    ],
    handles: [],
    nested: [],
  };

  get seq(): number {
    return this.view.getUint32(0, true);
  }
  set seq(v: number) {
    this.view.setUint32(0, v, true);
  }

  get channel(): number {
    return this.view.getUint16(4, true);
  }
  set channel(v: number) {
    this.view.setUint16(4, v, true);
  }

  toObject(): { seq: number; channel: number } {
    return { seq: this.seq, channel: this.channel };
  }
}

const TickChannel: ChannelType<TickView> = definePacketChannel(TickView);
const TickBatchChannel: ChannelType<PacketBatch<TickView>> = defineCustomChannel("bench.w4.TickBatch", packetBatchCodec(TickView));

type Shape = "batch" | "single";
type Mode = `${"protochan" | "raw"}-${Shape}`;
const MODES: readonly Mode[] = ["protochan-batch", "raw-batch", "protochan-single", "raw-single"];
const PER_FRAME: Record<Shape, number> = { batch: BATCH, single: 1 };

/** A packet template: every field set, seq rewritten per packet. */
function template(): Uint8Array {
  const t = new TickView(new Uint8Array(SIZE));
  t.channel = 7;
  t.view.setUint16(6, 0x0101, true);
  for (let k = 0; k < 23; k++) t.view.setFloat32(8 + 4 * k, k * 0.5, true);
  return t.bytes;
}

/**
 * Receives `packets` packets from a peer in `mode`; returns packets/s (in
 * millions). `bytes`: read a protochan batch through one DataView over
 * batch.bytes instead of a TickView per packet (isolates the transport).
 */
async function measure(mode: Mode, packets: number, bytes = false): Promise<number> {
  const shape: Shape = mode.endsWith("batch") ? "batch" : "single";
  const frames = packets / PER_FRAME[shape];
  let expected = 0;
  const bad = (seq: number) => new Error(`W4 ${mode}: packet ${seq} arrived where ${expected} was expected`);
  let s: number;
  if (mode === "protochan-batch" && bytes) {
    s = await receiveProtochan("w4", mode, TickBatchChannel, frames, (batch) => {
      const b = batch.bytes;
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let at = 0; at < b.length; at += SIZE) {
        const seq = view.getUint32(at, true);
        if (seq !== expected++) throw bad(seq);
      }
    });
  } else if (mode === "protochan-batch") {
    s = await receiveProtochan("w4", mode, TickBatchChannel, frames, (batch) => {
      for (const p of batch) if (p.seq !== expected++) throw bad(p.seq);
    });
  } else if (mode === "protochan-single") {
    s = await receiveProtochan("w4", mode, TickChannel, frames, (p) => {
      if (p.seq !== expected++) throw bad(p.seq);
    });
  } else {
    s = await receiveRaw("w4", mode, frames, (body) => {
      const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
      for (let at = 0; at < body.length; at += SIZE) {
        const seq = view.getUint32(at, true);
        if (seq !== expected++) throw bad(seq);
      }
    });
  }
  if (expected !== packets) throw new Error(`W4 ${mode}: received ${expected} packets, expected ${packets}`);
  return packets / s / 1e6;
}

/** Peer side: fills and sends BENCH_COUNT frames of PER_FRAME packets each. */
async function peerSend(mode: Mode): Promise<void> {
  const shape: Shape = mode.endsWith("batch") ? "batch" : "single";
  const perFrame = PER_FRAME[shape];
  const count = Number(requireEnv("BENCH_COUNT"));
  // One frame's worth of packets, rewritten for every frame (a send copies it out).
  const one = template();
  const body = new Uint8Array(SIZE * perFrame);
  for (let k = 0; k < perFrame; k++) body.set(one, k * SIZE);
  const view = new DataView(body.buffer);
  let seq = 0;
  const fill = () => {
    for (let at = 0; at < body.length; at += SIZE) view.setUint32(at, seq++, true);
  };
  if (mode.startsWith("raw")) {
    const w = new FrameWriter(await dialRaw(requireEnv("BENCH_PATH")));
    const t0 = now();
    for (let i = 0; i < count; i++) {
      fill();
      if (!w.write(body)) await w.drained();
    }
    await w.end();
    await tellParent({ t0: String(t0) });
    return;
  }
  const name = requireEnv("BENCH_NAME");
  const t0 = await (shape === "batch" ? sendAll(TickBatchChannel, TickView.batch(body)) : sendAll(TickChannel, new TickView(body)));
  await tellParent({ t0: String(t0) });

  async function sendAll<T>(type: ChannelType<T>, value: T): Promise<bigint> {
    const tx = await connect(type, name, { timeoutMs: 30_000 });
    const start = now();
    for (let i = 0; i < count; i++) {
      fill();
      if (!tx.send(value)) await tx.ready();
    }
    await tx.flush();
    tx.close();
    return start;
  }
}

export const w4: Workload = {
  id: "w4",
  title: `W4: ${SIZE}-byte C-layout packets one way (peer → bench process), in batches of ${BATCH} and one per frame`,

  async run(options: RunOptions): Promise<Row[]> {
    const batchPackets = Math.max(BATCH * 100, Math.round((BATCH_PACKETS * options.scale) / BATCH) * BATCH);
    const singlePackets = Math.max(1000, Math.round(SINGLE_PACKETS * options.scale));
    const fmt = (x: number) => `${x.toFixed(2)} M packets/s`;
    const runs = await interleave(options.repeat, {
      batch: async () => {
        const r = await measure("protochan-batch", batchPackets);
        options.log(`  protochan, batches of ${BATCH}: ${fmt(r)}`);
        return r;
      },
      batchBytes: async () => {
        const r = await measure("protochan-batch", batchPackets, true);
        options.log(`  protochan, batches of ${BATCH}, read via batch.bytes: ${fmt(r)}`);
        return r;
      },
      rawBatch: async () => {
        const r = await measure("raw-batch", batchPackets);
        options.log(`  raw net, batches of ${BATCH}:   ${fmt(r)}`);
        return r;
      },
      single: async () => {
        const r = await measure("protochan-single", singlePackets);
        options.log(`  protochan, one per frame:  ${fmt(r)}`);
        return r;
      },
      rawSingle: async () => {
        const r = await measure("raw-single", singlePackets);
        options.log(`  raw net, one per frame:    ${fmt(r)}`);
        return r;
      },
    });
    return [
      {
        label: `W4 ${(BATCH_PACKETS / 1e6).toFixed(0)} M × ${SIZE} B packets, batches of ${BATCH}`,
        unit: "M packets/s",
        better: "higher",
        protochan: median(runs.batch),
        raw: median(runs.rawBatch),
        samples: { protochan: runs.batch, raw: runs.rawBatch },
      },
      {
        label: `W4 ${(BATCH_PACKETS / 1e6).toFixed(0)} M × ${SIZE} B packets, batches of ${BATCH}, read through one DataView over batch.bytes`,
        unit: "M packets/s",
        better: "higher",
        protochan: median(runs.batchBytes),
        raw: median(runs.rawBatch),
        samples: { protochan: runs.batchBytes, raw: runs.rawBatch },
      },
      {
        label: `W4 ${(SINGLE_PACKETS / 1e6).toFixed(0)} M × ${SIZE} B packets, one per frame`,
        unit: "M packets/s",
        better: "higher",
        protochan: median(runs.single),
        raw: median(runs.rawSingle),
        samples: { protochan: runs.single, raw: runs.rawSingle },
      },
    ];
  },

  peer(mode: string): Promise<void> {
    const m = MODES.find((x) => x === mode);
    if (m === undefined) throw new Error(`w4: unknown peer mode ${mode}`);
    return peerSend(m);
  },

  notes(): string[] {
    return [
      `W4: bench.w4.Tick, a ${SIZE}-byte C-layout packet declared in bench/workloads/w4-packets.ts (uint32 seq, uint16 ` +
        "channel, uint16 flags, float values[23]; no schema change). Batches: " +
        `${BATCH} packets per frame on a PacketBatch channel (packetBatchCodec, body = bench_w4_Tick[${BATCH}], ` +
        `${SIZE * BATCH} bytes; the receiver iterates the batch's zero-copy TickViews); raw net: the same ${SIZE * BATCH}-byte ` +
        `bodies behind a 4-byte prefix, read with one DataView. The second batch row is the same protochan transfer read ` +
        "like raw net, through one DataView over batch.bytes: the difference between the two protochan rows is the cost of a " +
        "view per packet (PacketBatch's iterator makes a subarray and a DataView for each). " +
        `One per frame: definePacketChannel(TickView) (body = the ` +
        `${SIZE}-byte struct) vs ${SIZE}-byte raw bodies. The sender writes seq into every packet before each send; the ` +
        "receiver reads seq of every packet and checks it is the next index. Time runs from the first send to the last " +
        `packet received; protochan sends with \`if (!tx.send(v)) await tx.ready()\` and the default 8 MiB window. ` +
        `On the wire a batch frame is 40 + ${SIZE * BATCH} bytes (raw: 4 + ${SIZE * BATCH}), a single one 40 + ${SIZE} (raw: 4 + ${SIZE}).`,
    ];
  },
};
