// The TypeScript twin of sample_fill() in test/c/peer.c: packet i of stream
// `seed`, every field derived from (i, seed), so each side can check every
// field of every packet the other sent. Keep the two in step.
import { HANDLE_NONE } from "protochan";
import { SampleView, type SampleObject, type SampleShapeObject } from "../../generated/example/v1/packets_packet.js";
import type { Priority } from "../../generated/example/v1/packets_pb.js";
import type { Level } from "../../generated/example/v1/example_pb.js";

const MASK64 = (1n << 64n) - 1n;
const GOLDEN = 0x9e3779b97f4a7c15n;

function shapeOf(i: number): SampleShapeObject {
  switch (i % 4) {
    case 0:
      return { case: undefined };
    case 1:
      return { case: "circle", value: { center: { x: i % 10, y: (i % 10) - 5 }, radius: i * 0.5 } };
    case 2:
      return { case: "label", value: `L${i}` };
    default:
      return { case: "code", value: (i ^ 0xc0de) >>> 0 };
  }
}

export function sampleObject(i: number, seed: number): SampleObject {
  const readings = Array.from({ length: i % 9 }, (_, k) => i * k - 5000);
  return {
    id: ((BigInt(seed) << 56n) ^ ((BigInt(i) * GOLDEN) & MASK64)) & MASK64,
    valid: (i & 1) === 1,
    offset: (i % 256) - 128,
    channel: (i * 7 + seed) & 0xffff,
    priority: (i % 3) as Priority,
    level: (i % 4) as Level,
    temperature: i * 0.25 - 1000.5,
    delta: Math.imul(i, 2654435761) | 0,
    name: `${i % 7 === 0 ? "\u00b5" : "s"}${seed}-${i}`,
    mac: Uint8Array.from({ length: 6 }, (_, k) => (i + 37 * k + seed) & 0xff),
    readings,
    weights: [0, 1, 2].map((k) => (i % 1000) * 0.5 + k),
    position: { x: (i % 4096) * 0.125, y: 256 - (i % 513) },
    path: Array.from({ length: i % 5 }, (_, k) => ({ x: k, y: i % 100 })),
    shape: shapeOf(i),
    battery: i % 3 !== 0 ? i % 101 : undefined,
    acks: HANDLE_NONE,
    timestampNs: (i & 1 ? -1n : 1n) * (1_700_000_000_000_000_000n + BigInt(i) * 1000n),
  };
}

/** Writes packet i of `seed` into `view` (reused: a send copies the bytes out). */
export function fillSample(view: SampleView, i: number, seed: number): SampleView {
  view.bytes.fill(0);
  return view.assign(sampleObject(i, seed));
}

/**
 * Checks a received packet against packet i of `seed`: every byte of the
 * struct (padding and unused array elements included), and on a mismatch
 * the field-by-field difference. Returns a description, or undefined if equal.
 */
export function sampleMismatch(got: SampleView, i: number, seed: number, scratch = SampleView.create()): string | undefined {
  const want = fillSample(scratch, i, seed);
  if (got.bytes.length === want.bytes.length && Buffer.compare(got.bytes, want.bytes) === 0) return undefined;
  const g = got.toObject() as unknown as Record<string, unknown>;
  const w = want.toObject() as unknown as Record<string, unknown>;
  const fields = Object.keys(w).filter((k) => JSON.stringify(g[k], big) !== JSON.stringify(w[k], big));
  return `packet ${i} of seed ${seed}: ${fields.length > 0 ? `fields ${fields.join(", ")} differ` : "padding bytes differ"}`;
}

function big(_key: string, v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return Array.from(v);
  return v;
}
