// W3: 2,000 × 1 MiB one way (peer → bench process): GB/s of payload, from the
// sender's first send to the receiver holding the last body in one piece.
// protochan: BytesChannel (the Uint8Array is the body, sent without a copy).
// Raw net: 1 MiB bodies behind a 4-byte length prefix, reassembled by the reader.
import { BytesChannel } from "protochan";
import { interleave, median, type Row, type RunOptions, type Workload } from "../harness.js";
import { receiveProtochan, receiveRaw, sendProtochan, sendRaw } from "../one-way.js";

const COUNT = 2_000;
const SIZE = 1024 * 1024;

function body(): Uint8Array {
  const b = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i += 4096) b[i] = i >>> 12;
  return b;
}

/** Receives `count` bodies from a peer in `mode`; returns GB/s (10^9 bytes of payload per second). */
async function measure(mode: "protochan" | "raw", count: number): Promise<number> {
  let bytes = 0;
  const add = (b: Uint8Array) => {
    bytes += b.length;
  };
  const s = mode === "protochan" ? await receiveProtochan("w3", mode, BytesChannel, count, add) : await receiveRaw("w3", mode, count, add);
  if (bytes !== count * SIZE) throw new Error(`W3 ${mode}: received ${bytes} bytes, expected ${count * SIZE}`);
  return bytes / s / 1e9;
}

export const w3: Workload = {
  id: "w3",
  title: `W3: ${COUNT.toLocaleString("en")} × 1 MiB one way (peer → bench process)`,

  async run(options: RunOptions): Promise<Row[]> {
    const count = Math.max(20, Math.round(COUNT * options.scale));
    const runs = await interleave(options.repeat, {
      protochan: async () => {
        const r = await measure("protochan", count);
        options.log(`  protochan: ${r.toFixed(2)} GB/s`);
        return r;
      },
      raw: async () => {
        const r = await measure("raw", count);
        options.log(`  raw net:   ${r.toFixed(2)} GB/s`);
        return r;
      },
    });
    return [
      {
        label: "W3 2,000 × 1 MiB one way",
        unit: "GB/s",
        better: "higher",
        protochan: median(runs.protochan),
        raw: median(runs.raw),
        target: { kind: "ratio", op: ">=", value: 0.85 },
        samples: runs,
      },
    ];
  },

  peer(mode: string): Promise<void> {
    const b = body();
    if (mode === "protochan") return sendProtochan(BytesChannel, b);
    if (mode === "raw") return sendRaw(() => b);
    throw new Error(`w3: unknown peer mode ${mode}`);
  },

  notes(): string[] {
    return [
      `W3: the same ${SIZE}-byte Uint8Array sent ${COUNT.toLocaleString("en")} times (protochan: BytesChannel, ` +
        "`if (!tx.send(b)) await tx.ready()`, default 8 MiB window; raw net: prefix + body corked, waiting for 'drain'). " +
        "Both readers get 64 KiB socket reads and reassemble each body with one copy. GB/s = 10^9 bytes of payload per second.",
    ];
  },
};
