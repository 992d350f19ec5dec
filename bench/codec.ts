// Microbenchmark: encode and decode msgs/s of example.v1.Telemetry (~100
// bytes), generated codec vs @bufbuild/protobuf's reflective toBinary /
// fromBinary. Not a test. Run:
//   node --conditions=source --import tsx bench/codec.ts [seconds per case and round]
import { create, toBinary } from "@bufbuild/protobuf";
import { ByteWriter, reflectiveCodec } from "protochan/codegenv1";
import type { Codec } from "protochan";
import { TelemetrySchema, Level, type Telemetry } from "../generated/example/v1/example_pb.js";
import { TelemetryCodec } from "../generated/example/v1/example_codec.js";

/** Seconds per case and round. */
const seconds = Number(process.argv[2] ?? 0.5);

const sample: Telemetry = create(TelemetrySchema, {
  id: 1234567890123n,
  timestampNs: 1732240000123456789n,
  source: "plant-3/line-2/temp",
  value: 21.375,
  samples: [12, -3, 250, 7, -1000, 42, 0, 9],
  level: Level.WARN,
  labels: { unit: "celsius", zone: "b7" },
  flagged: true,
  origin: { x: 12.5, y: -4.25 },
});
const bytes = toBinary(TelemetrySchema, sample);

/** Runs `op` in batches until `seconds` have passed; returns ops per second. */
function rate(op: () => void): number {
  const batch = 10_000;
  for (let i = 0; i < batch * 2; i++) op(); // warm-up
  let n = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < limit) {
    for (let i = 0; i < batch; i++) op();
    n += batch;
    elapsed = process.hrtime.bigint() - start;
  }
  return n / (Number(elapsed) / 1e9);
}

function encodeRate(codec: Codec<Telemetry>): number {
  const w = new ByteWriter();
  return rate(() => {
    codec.encode(sample, w);
    if (w.pos > 60_000) w.take(); // like a socket flush
  });
}

function decodeRate(codec: Codec<Telemetry>): number {
  let sink = 0;
  const r = rate(() => {
    sink += codec.decode(bytes).samples.length;
  });
  if (sink === 0) throw new Error("unreachable");
  return r;
}

const reflective = reflectiveCodec(TelemetrySchema);
const cases = [
  ["encode", "generated", () => encodeRate(TelemetryCodec)],
  ["encode", "reflective", () => encodeRate(reflective)],
  ["decode", "generated", () => decodeRate(TelemetryCodec)],
  ["decode", "reflective", () => decodeRate(reflective)],
] as const;
// On a shared machine the rate of one run swings with the load: the cases are
// interleaved over several rounds and the best rate of each is kept.
const rounds = 5;
const best = cases.map(() => 0);
for (let round = 0; round < rounds; round++) {
  cases.forEach(([, , run], i) => {
    best[i] = Math.max(best[i]!, run());
  });
}
const fmt = (r: number) => `${(r / 1e6).toFixed(2)} M msgs/s`.padStart(16);
console.log(`example.v1.Telemetry, ${bytes.length} bytes encoded, node ${process.version}, best of ${rounds} rounds`);
for (const [i, [op, kind]] of cases.entries()) console.log(`${op} ${kind.padEnd(10)} ${fmt(best[i]!)}`);
console.log(`speed-up: encode x${(best[0]! / best[1]!).toFixed(1)}, decode x${(best[2]! / best[3]!).toFixed(1)}`);
