// W2: 1,000,000 typed messages of ~100 encoded bytes, one way (peer → bench
// process): messages per second, from the sender's first send to the receiver
// holding all of them. protochan: TelemetryChannel (example.v1.Telemetry).
// Raw net: 100-byte bodies behind a 4-byte length prefix, parsed into frames.
// Two extra raw variants add a codec per message to show its cost: the
// reflective @bufbuild/protobuf toBinary/fromBinary, and the generated
// TelemetryCodec that TelemetryChannel itself uses.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ByteWriter } from "protochan/codegenv1";
import { TelemetryChannel } from "../../generated/example/v1/example_chan.js";
import { TelemetryCodec } from "../../generated/example/v1/example_codec.js";
import { Level, TelemetrySchema, type Telemetry } from "../../generated/example/v1/example_pb.js";
import { interleave, median, type Row, type RunOptions, type Workload } from "../harness.js";
import { receiveProtochan, receiveRaw, sendProtochan, sendRaw } from "../one-way.js";

const COUNT = 1_000_000;
const RAW_SIZE = 100;

/** The one Telemetry value sent over and over (100 bytes encoded). */
function sample(): Telemetry {
  return create(TelemetrySchema, {
    id: 1234567890123n,
    timestampNs: 1732240000123456789n,
    source: "plant-3/l2",
    value: 21.375,
    samples: [12, -3, 250, 7, -1000],
    level: Level.WARN,
    labels: { unit: "celsius", zone: "b7" },
    flagged: true,
    origin: { x: 12.5, y: -4.25 },
  });
}

const sampleBytes = toBinary(TelemetrySchema, sample());

type Mode = "protochan" | "raw" | "raw-reflective" | "raw-generated";
const MODES: readonly Mode[] = ["protochan", "raw", "raw-reflective", "raw-generated"];

/** Receives `count` messages from a peer in `mode`; returns msgs/s. */
async function measure(mode: Mode, count: number): Promise<number> {
  let last: Telemetry | undefined;
  let lastRaw: Uint8Array | undefined;
  let s: number;
  if (mode === "protochan") {
    s = await receiveProtochan("w2", mode, TelemetryChannel, count, (v) => {
      last = v;
    });
  } else if (mode === "raw") {
    s = await receiveRaw("w2", mode, count, (body) => {
      lastRaw = body;
    });
  } else if (mode === "raw-reflective") {
    s = await receiveRaw("w2", mode, count, (body) => {
      last = fromBinary(TelemetrySchema, body);
    });
  } else {
    s = await receiveRaw("w2", mode, count, (body) => {
      last = TelemetryCodec.decode(body);
    });
  }
  if (mode === "raw" ? lastRaw?.length !== RAW_SIZE : !isSample(last)) throw new Error(`W2 ${mode}: the last message is wrong`);
  return count / s;
}

function isSample(v: Telemetry | undefined): boolean {
  return v !== undefined && v.source === "plant-3/l2" && v.samples.length === 5 && v.labels.zone === "b7";
}

function peerSend(mode: Mode): Promise<void> {
  const value = sample();
  switch (mode) {
    case "protochan":
      return sendProtochan(TelemetryChannel, value);
    case "raw": {
      const body = new Uint8Array(RAW_SIZE).fill(0x5a);
      return sendRaw(() => body);
    }
    case "raw-reflective":
      return sendRaw(() => toBinary(TelemetrySchema, value));
    case "raw-generated": {
      const bw = new ByteWriter();
      return sendRaw(() => {
        bw.pos = 0; // the previous body was copied out already
        TelemetryCodec.encode(value, bw);
        return bw.buf.subarray(0, bw.pos);
      });
    }
  }
}

export const w2: Workload = {
  id: "w2",
  title: `W2: ${COUNT.toLocaleString("en")} × ~${RAW_SIZE}-byte typed messages one way (peer → bench process)`,

  async run(options: RunOptions): Promise<Row[]> {
    const count = Math.max(1000, Math.round(COUNT * options.scale));
    const fmt = (x: number) => `${(x / 1e6).toFixed(2)} M msgs/s`;
    const runs = await interleave(options.repeat, {
      protochan: async () => {
        const r = await measure("protochan", count);
        options.log(`  protochan:                  ${fmt(r)}`);
        return r;
      },
      raw: async () => {
        const r = await measure("raw", count);
        options.log(`  raw net:                    ${fmt(r)}`);
        return r;
      },
      generated: async () => {
        const r = await measure("raw-generated", count);
        options.log(`  raw net + TelemetryCodec:   ${fmt(r)}`);
        return r;
      },
      reflective: async () => {
        const r = await measure("raw-reflective", count);
        options.log(`  raw net + toBinary/fromBinary: ${fmt(r)}`);
        return r;
      },
    });
    const p = median(runs.protochan);
    const row = (label: string, rawLabel: string | undefined, raw: number[], target?: Row["target"]): Row => ({
      label,
      unit: "msgs/s",
      better: "higher",
      protochan: p,
      raw: median(raw),
      ...(rawLabel === undefined ? {} : { rawLabel }),
      ...(target === undefined ? {} : { target }),
      samples: { protochan: runs.protochan, raw },
    });
    return [
      row("W2 1 M × ~100 B one way", undefined, runs.raw, { kind: "absolute", op: ">=", value: 2e6 }),
      row("W2 vs raw net + generated TelemetryCodec encode/decode", "raw net + TelemetryCodec", runs.generated),
      row("W2 vs raw net + toBinary/fromBinary (reflective)", "raw net + toBinary/fromBinary", runs.reflective),
    ];
  },

  peer(mode: string): Promise<void> {
    const m = MODES.find((x) => x === mode);
    if (m === undefined) throw new Error(`w2: unknown peer mode ${mode}`);
    return peerSend(m);
  },

  notes(): string[] {
    return [
      `W2: one example.v1.Telemetry value, ${sampleBytes.length} bytes encoded (all fields set: id, timestamp_ns, source, value, ` +
        `5 samples, level, 2 labels, flagged, origin), sent ${COUNT.toLocaleString("en")} times with ` +
        "`if (!tx.send(v)) await tx.ready()` and received with `recvMany()` (each decoded by the channel's codec); " +
        `raw net sends ${RAW_SIZE}-byte bodies. Time runs from the sender's first send to the receiver holding the last ` +
        "message (both read CLOCK_MONOTONIC via process.hrtime.bigint()). The codec rows use the same raw framing with " +
        "the codec applied per message on both sides; their protochan column is the same protochan run. On the wire a " +
        `protochan message is a 40-byte header + body (${40 + sampleBytes.length} bytes), a raw one a 4-byte prefix + body.`,
    ];
  },
};
