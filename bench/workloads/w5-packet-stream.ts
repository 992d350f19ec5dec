// W5: packet streaming, one way (peer → bench process): packets per second
// and GB/s of payload for protochan.v1.Packet with 100-byte and 1,500-byte
// payloads, batches of 1,000. protochan: PacketServer in the peer sends each
// batch with `await conn.send(packets)` (trimmed records: only the used part
// of the 65,560-byte struct goes out), PacketClient here takes them with
// receivePackets(1000) until the clean end (null). Raw net: the same batch
// bodies (byte for byte the records protochan sends) behind a 4-byte length
// prefix, received as whole frames without looking inside.
import { ByteWriter } from "protochan/codegenv1";
import { PacketClient, PacketServer } from "protochan";
import { PacketFormat } from "../../src/packet-stream/format.js";
import { PacketView } from "../../generated/protochan/v1/packet_packet.js";
import { interleave, median, now, seconds, tellParent, withPeer, type Row, type RunOptions, type Workload } from "../harness.js";
import { receiveRaw, sendRaw } from "../one-way.js";

const BATCH = 1000;
const SIZES = [100, 1500] as const;
type Size = (typeof SIZES)[number];
/** Packets per run: ~100 MB of payload for 100 B, ~300 MB for 1,500 B. */
const COUNT: Record<Size, number> = { 100: 1_000_000, 1500: 200_000 };

/** One batch of packets with `size`-byte payloads, as views over just their used bytes. */
function packets(size: number): PacketView[] {
  const out: PacketView[] = [];
  for (let i = 0; i < BATCH; i++) {
    const p = new PacketView(new Uint8Array(20 + size));
    p.timestampNs = 1732240000000000000n + BigInt(i);
    p.originalLength = size;
    p.linkType = 1;
    p.view.setUint32(16, size, true);
    p.bytes.fill(i & 0xff, 20);
    out.push(p);
  }
  return out;
}

/** The batch body protochan puts on the wire for packets(size). */
function batchBody(size: number): Uint8Array {
  const w = new ByteWriter();
  new PacketFormat(PacketView).writeBatch(w, packets(size));
  return w.take();
}

interface Result {
  readonly pps: number;
  readonly gbps: number;
}

async function measure(transport: "protochan" | "raw", size: Size, count: number): Promise<Result> {
  const batches = Math.ceil(count / BATCH);
  const total = batches * BATCH;
  let s: number;
  if (transport === "raw") {
    let bytes = 0;
    s = await receiveRaw("w5", `raw-${size}`, batches, (body) => {
      bytes += body.length;
    });
    if (bytes !== batches * batchBody(size).length) throw new Error(`W5 raw: received ${bytes} bytes`);
  } else {
    s = await withPeer("w5", `protochan-${size}`, { BENCH_COUNT: String(batches) }, async (peer) => {
      const { name } = await peer.next();
      const client = await PacketClient.connect(String(name), { maxBatchBytes: 2 << 20, timeoutMs: 30_000 });
      let n = 0;
      let last: PacketView | undefined;
      const t1 = await peer.guard(
        (async () => {
          for (;;) {
            const got = await client.receivePackets(BATCH);
            if (got === null) return now();
            n += got.length;
            last = got[got.length - 1];
          }
        })(),
      );
      if (n !== total || last?.payload.length !== size) throw new Error(`W5 protochan: ${n} packets, expected ${total}`);
      const { t0 } = await peer.next();
      return seconds(BigInt(t0 as string), t1);
    });
  }
  return { pps: total / s, gbps: (total * size) / s / 1e9 };
}

async function peerProtochan(size: number): Promise<void> {
  const batches = Number(process.env.BENCH_COUNT);
  const { server, name } = await PacketServer.create();
  await tellParent({ name });
  const conn = await server.accept({ timeoutMs: 30_000 });
  await server.close();
  const batch = packets(size);
  const t0 = now();
  for (let i = 0; i < batches; i++) await conn.send(batch);
  await conn.end();
  await tellParent({ t0: String(t0) });
}

export const w5: Workload = {
  id: "w5",
  title: "W5: packet streaming, protochan.v1.Packet in batches of 1,000, one way (peer → bench process)",

  async run(options: RunOptions): Promise<Row[]> {
    const rows: Row[] = [];
    for (const size of SIZES) {
      const count = Math.max(10 * BATCH, Math.round(COUNT[size] * options.scale));
      const results: Record<"protochan" | "raw", Result[]> = { protochan: [], raw: [] };
      await interleave(options.repeat, {
        protochan: async () => {
          const r = await measure("protochan", size, count);
          results.protochan.push(r);
          options.log(`  ${size} B protochan: ${(r.pps / 1e6).toFixed(2)} M packets/s, ${r.gbps.toFixed(2)} GB/s`);
          return r.pps;
        },
        raw: async () => {
          const r = await measure("raw", size, count);
          results.raw.push(r);
          options.log(`  ${size} B raw net:   ${(r.pps / 1e6).toFixed(2)} M packets/s, ${r.gbps.toFixed(2)} GB/s`);
          return r.pps;
        },
      });
      const label = `W5 ${count.toLocaleString("en")} × ${size} B packets`;
      const pps = { protochan: results.protochan.map((r) => r.pps), raw: results.raw.map((r) => r.pps) };
      const gbps = { protochan: results.protochan.map((r) => r.gbps), raw: results.raw.map((r) => r.gbps) };
      rows.push(
        {
          label: `${label}, packets/s`,
          unit: "packets/s",
          better: "higher",
          protochan: median(pps.protochan),
          raw: median(pps.raw),
          samples: pps,
        },
        {
          label: `${label}, payload GB/s`,
          unit: "GB/s",
          better: "higher",
          protochan: median(gbps.protochan),
          raw: median(gbps.raw),
          samples: gbps,
        },
      );
    }
    return rows;
  },

  async peer(mode: string): Promise<void> {
    const [transport, sizeText] = mode.split("-");
    const size = SIZES.find((s) => String(s) === sizeText);
    if (size === undefined || (transport !== "protochan" && transport !== "raw")) throw new Error(`w5: unknown peer mode ${mode}`);
    if (transport === "protochan") return peerProtochan(size);
    const body = batchBody(size);
    return sendRaw(() => body);
  },

  notes(): string[] {
    return [
      `W5: protochan.v1.Packet with 100- and 1,500-byte payloads (20 bytes of metadata each), ${BATCH} per batch, ` +
        `${COUNT[100].toLocaleString("en")} and ${COUNT[1500].toLocaleString("en")} packets per run. A batch travels as one ` +
        "frame in the trimmed record layout (docs/packet-streaming.md): 16-byte batch header, then per packet an 8-byte " +
        "record header and the struct up to the end of its payload, padded to 8 (128 and 1,528 bytes per packet). " +
        "protochan: `await conn.send(batch)` of the same 1,000 views each time (the records are copied into the frame), " +
        "received with `receivePackets(1000)` (a zero-copy view per packet) until the clean end. Raw net: the identical " +
        "batch bodies as 4-byte-length-prefixed frames, received whole; no per-packet work. GB/s counts payload bytes.",
    ];
  },
};
