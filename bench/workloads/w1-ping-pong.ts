// W1: 64-byte ping-pong latency. The bench process sends one message, the peer
// answers, the bench process times the round trip; 2,000 warm-up rounds, then
// 20,000 measured ones. protochan: example.v1.Ping there, example.v1.Pong back
// (one channel per direction: the peer's first Pong names its Ping server).
// Raw net: a 64-byte body with a 4-byte length prefix, echoed by the peer.
import { create, toBinary } from "@bufbuild/protobuf";
import { connect, DisconnectedError, OneShotServer } from "protochan";
import { PingChannel, PongChannel } from "../../generated/example/v1/example_chan.js";
import { PingSchema, PongSchema, type Pong } from "../../generated/example/v1/example_pb.js";
import { median, now, quantile, requireEnv, withPeer, type Row, type RunOptions, type Workload } from "../harness.js";
import { dialRaw, FrameQueue, FrameReader, frame, listenRaw } from "../raw-net.js";

const SIZE = 64;
const WARMUP = 2_000;
const ROUNDS = 20_000;
/** Sequence numbers start here so that every one encodes in 3 varint bytes (constant size). */
const SEQ_BASE = 1_000_000;

/** A Ping whose encoding is exactly SIZE bytes. */
function makePing() {
  const ping = create(PingSchema, { seq: BigInt(SEQ_BASE), text: "ping" });
  ping.payload = new Uint8Array(SIZE - toBinary(PingSchema, ping).length - 2).fill(0xab);
  return ping;
}

/** A Pong whose encoding is exactly SIZE bytes once `text` is set. */
function makePong(): Pong {
  const pong = create(PongSchema, { seq: BigInt(SEQ_BASE), childPid: process.pid });
  pong.text = "p".repeat(SIZE - toBinary(PongSchema, pong).length - 2);
  return pong;
}

interface Latency {
  median: number;
  p99: number;
}

function summarize(rtt: Float64Array): Latency {
  return { median: median(rtt), p99: quantile(rtt, 0.99) };
}

async function runProtochan(rounds: number, warmup: number): Promise<Latency> {
  const { server, name } = await OneShotServer.create(PongChannel);
  return withPeer("w1", "protochan", { BENCH_NAME: name }, async (peer) => {
    const { receiver: pongs, first } = await peer.guard(server.accept({ timeoutMs: 30_000 }));
    const pings = await peer.guard(connect(PingChannel, first.text, { timeoutMs: 30_000 }));
    const ping = makePing();
    const rtt = new Float64Array(rounds);
    await peer.guard(
      (async () => {
        for (let i = 0; i < warmup + rounds; i++) {
          const seq = BigInt(SEQ_BASE + i);
          ping.seq = seq;
          const t0 = now();
          pings.send(ping);
          const pong = await pongs.recv();
          const t1 = now();
          if (pong.seq !== seq) throw new Error(`W1: Pong ${pong.seq} answers Ping ${seq}`);
          if (i >= warmup) rtt[i - warmup] = Number(t1 - t0) / 1e3;
        }
      })(),
    );
    pings.close();
    await pings.flush();
    // The peer closes its Pong sender once its Ping receiver disconnects.
    await peer.guard(pongs.recv({ timeoutMs: 10_000 }).then(
      () => Promise.reject(new Error("W1: unexpected Pong after the last Ping")),
      (err: unknown) => {
        if (!(err instanceof DisconnectedError)) throw err;
      },
    ));
    return summarize(rtt);
  });
}

async function runRaw(rounds: number, warmup: number): Promise<Latency> {
  const server = await listenRaw();
  try {
    return await withPeer("w1", "raw", { BENCH_PATH: server.path }, async (peer) => {
      const socket = await peer.guard(server.accept());
      const frames = new FrameQueue(socket);
      const body = new Uint8Array(SIZE).fill(0xab);
      const view = new DataView(body.buffer);
      const rtt = new Float64Array(rounds);
      await peer.guard(
        (async () => {
          for (let i = 0; i < warmup + rounds; i++) {
            view.setUint32(0, i, true);
            const t0 = now();
            socket.write(frame(body));
            const echo = await frames.next();
            const t1 = now();
            if (echo.length !== SIZE || new DataView(echo.buffer, echo.byteOffset).getUint32(0, true) !== i) {
              throw new Error(`W1 raw: bad echo for round ${i}`);
            }
            if (i >= warmup) rtt[i - warmup] = Number(t1 - t0) / 1e3;
          }
        })(),
      );
      socket.end();
      return summarize(rtt);
    });
  } finally {
    server.close();
  }
}

export const w1: Workload = {
  id: "w1",
  title: `W1: ${SIZE}-byte ping-pong, ${ROUNDS.toLocaleString("en")} round trips after ${WARMUP.toLocaleString("en")} warm-up`,

  async run(options: RunOptions): Promise<Row[]> {
    const rounds = Math.max(100, Math.round(ROUNDS * options.scale));
    const warmup = Math.max(10, Math.round(WARMUP * options.scale));
    const p: Latency[] = [];
    const r: Latency[] = [];
    for (let i = 0; i < options.repeat; i++) {
      p.push(await runProtochan(rounds, warmup));
      options.log(`  protochan: median ${p.at(-1)!.median.toFixed(1)} µs, p99 ${p.at(-1)!.p99.toFixed(1)} µs`);
      r.push(await runRaw(rounds, warmup));
      options.log(`  raw net:   median ${r.at(-1)!.median.toFixed(1)} µs, p99 ${r.at(-1)!.p99.toFixed(1)} µs`);
    }
    const pick = (xs: Latency[], k: keyof Latency) => xs.map((x) => x[k]);
    return [
      {
        label: "W1 64 B ping-pong: median round trip",
        unit: "µs",
        better: "lower",
        protochan: median(pick(p, "median")),
        raw: median(pick(r, "median")),
        target: { kind: "ratio", op: "<=", value: 1.15 },
        samples: { protochan: pick(p, "median"), raw: pick(r, "median") },
      },
      {
        label: "W1 64 B ping-pong: p99 round trip",
        unit: "µs",
        better: "lower",
        protochan: median(pick(p, "p99")),
        raw: median(pick(r, "p99")),
        samples: { protochan: pick(p, "p99"), raw: pick(r, "p99") },
      },
    ];
  },

  async peer(mode: string): Promise<void> {
    if (mode === "protochan") {
      const { server, name } = await OneShotServer.create(PingChannel);
      const pongs = await connect(PongChannel, requireEnv("BENCH_NAME"), { timeoutMs: 30_000 });
      pongs.send(create(PongSchema, { seq: 0n, text: name, childPid: process.pid }));
      const { receiver: pings, first } = await server.accept({ timeoutMs: 30_000 });
      const pong = makePong();
      pong.seq = first.seq;
      pongs.send(pong);
      for (;;) {
        let ping;
        try {
          ping = await pings.recv();
        } catch (err) {
          if (err instanceof DisconnectedError) break;
          throw err;
        }
        pong.seq = ping.seq;
        pongs.send(pong);
      }
      await pongs.flush();
      pongs.close();
      return;
    }
    if (mode === "raw") {
      const socket = await dialRaw(requireEnv("BENCH_PATH"));
      new FrameReader(socket, (body) => socket.write(frame(body)));
      await new Promise<void>((resolve) => socket.on("end", resolve));
      socket.end();
      return;
    }
    throw new Error(`w1: unknown peer mode ${mode}`);
  },

  notes(): string[] {
    return [
      `W1: protochan sends example.v1.Ping (${toBinary(PingSchema, makePing()).length} bytes encoded) and gets ` +
        `example.v1.Pong (${toBinary(PongSchema, makePong()).length} bytes) back, each in a 40-byte protochan frame header; ` +
        `raw net echoes a ${SIZE}-byte body behind a 4-byte length prefix. Each round trip is timed with process.hrtime.bigint() ` +
        `from just before send to the answer being delivered (decoded, for protochan).`,
    ];
  },
};
