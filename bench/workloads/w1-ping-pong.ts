// W1: 64-byte ping-pong latency. The bench process sends one message, the peer
// answers, the bench process times the round trip; 2,000 warm-up rounds, then
// 20,000 measured ones, for each of: protochan (example.v1.Ping there,
// example.v1.Pong back; one channel per direction, the peer's first Pong names
// its Ping server) and raw net (a 64-byte body behind a 4-byte length prefix,
// echoed).
//
// One peer process serves both, and the bench process alternates blocks of
// BLOCK rounds between them. On a small VM the round trip depends heavily on
// where the scheduler put the two processes (same or different vCPU, idle
// vCPU wake-up), which differs from one process pair to the next; sharing
// the pair and interleaving puts protochan and raw on the same footing.
import { create, toBinary } from "@bufbuild/protobuf";
import { connect, DisconnectedError, OneShotServer, type Receiver, type Sender } from "protochan";
import type { Socket } from "node:net";
import { PingChannel, PongChannel } from "../../generated/example/v1/example_chan.js";
import { PingSchema, PongSchema, type Ping, type Pong } from "../../generated/example/v1/example_pb.js";
import { median, now, quantile, requireEnv, tellParent, withPeer, type Row, type RunOptions, type Workload } from "../harness.js";
import { dialRaw, FrameQueue, FrameReader, frame, listenRaw } from "../raw-net.js";

const SIZE = 64;
const WARMUP = 2_000;
const ROUNDS = 20_000;
/** Rounds in a row on one side before switching to the other. */
const BLOCK = 500;
/** Sequence numbers start here so that every one encodes in 3 varint bytes (constant size). */
const SEQ_BASE = 1_000_000;

/** A Ping whose encoding is exactly SIZE bytes. */
function makePing(): Ping {
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

/** CPU time (user + system) of this process so far, in µs. */
const cpuNow = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** One side of the comparison: does `n` round trips from number `from` on, recording measured ones. */
interface Side {
  rounds(from: number, n: number): Promise<void>;
  readonly rtt: Float64Array;
  /** This process's CPU time spent in rounds(), µs. */
  cpu: number;
}

function side(warmup: number, roundTrip: (i: number) => Promise<void>, rtt: Float64Array): Side {
  const s: Side = {
    rtt,
    cpu: 0,
    async rounds(from, n) {
      const c0 = cpuNow();
      for (let i = from; i < from + n; i++) {
        const t0 = now();
        await roundTrip(i);
        const t1 = now();
        if (i >= warmup) rtt[i - warmup] = Number(t1 - t0) / 1e3;
      }
      s.cpu += cpuNow() - c0;
    },
  };
  return s;
}

function protochanSide(pings: Sender<Ping>, pongs: Receiver<Pong>, warmup: number, rounds: number): Side {
  const ping = makePing();
  return side(
    warmup,
    async (i) => {
      const seq = BigInt(SEQ_BASE + i);
      ping.seq = seq;
      pings.send(ping);
      const pong = await pongs.recv();
      if (pong.seq !== seq) throw new Error(`W1: Pong ${pong.seq} answers Ping ${seq}`);
    },
    new Float64Array(rounds),
  );
}

function rawSide(socket: Socket, warmup: number, rounds: number): Side {
  const frames = new FrameQueue(socket);
  const body = new Uint8Array(SIZE).fill(0xab);
  const view = new DataView(body.buffer);
  return side(
    warmup,
    async (i) => {
      view.setUint32(0, i, true);
      socket.write(frame(body));
      const echo = await frames.next();
      if (echo.length !== SIZE || new DataView(echo.buffer, echo.byteOffset).getUint32(0, true) !== i) {
        throw new Error(`W1 raw: bad echo for round ${i}`);
      }
    },
    new Float64Array(rounds),
  );
}

interface Latency {
  median: number;
  p99: number;
  /** CPU time of the bench process per round trip, µs. */
  cpu: number;
}

const summarize = (s: Side, total: number): Latency => ({ median: median(s.rtt), p99: quantile(s.rtt, 0.99), cpu: s.cpu / total });

/** One session with a fresh peer: both sides, alternating blocks. */
async function session(rounds: number, warmup: number): Promise<{ protochan: Latency; raw: Latency }> {
  const { server, name } = await OneShotServer.create(PongChannel);
  const rawServer = await listenRaw();
  try {
    return await withPeer("w1", "both", { BENCH_NAME: name, BENCH_PATH: rawServer.path }, async (peer) => {
      const { receiver: pongs, first } = await peer.guard(server.accept({ timeoutMs: 30_000 }));
      const pings = await peer.guard(connect(PingChannel, first.text, { timeoutMs: 30_000 }));
      const socket = await peer.guard(rawServer.accept());
      const p = protochanSide(pings, pongs, warmup, rounds);
      const r = rawSide(socket, warmup, rounds);
      const total = warmup + rounds;
      await peer.guard(
        (async () => {
          for (let i = 0, k = 0; i < total; i += BLOCK, k++) {
            const n = Math.min(BLOCK, total - i);
            // Alternate which side goes first so neither always follows the switch.
            const [a, b] = k % 2 === 0 ? [p, r] : [r, p];
            await a.rounds(i, n);
            await b.rounds(i, n);
          }
        })(),
      );
      pings.close();
      await pings.flush();
      socket.end();
      // The peer closes its Pong sender once its Ping receiver disconnects.
      await peer.guard(
        pongs.recv({ timeoutMs: 10_000 }).then(
          () => Promise.reject(new Error("W1: unexpected Pong after the last Ping")),
          (err: unknown) => {
            if (!(err instanceof DisconnectedError)) throw err;
          },
        ),
      );
      await peer.next(); // "done"
      return { protochan: summarize(p, total), raw: summarize(r, total) };
    });
  } finally {
    rawServer.close();
  }
}

/** Peer: answers Pings with Pongs until the Ping channel disconnects. */
async function servePongs(): Promise<void> {
  const { server, name } = await OneShotServer.create(PingChannel);
  const pongs = await connect(PongChannel, requireEnv("BENCH_NAME"), { timeoutMs: 30_000 });
  pongs.send(create(PongSchema, { seq: 0n, text: name, childPid: process.pid }));
  const { receiver: pings, first } = await server.accept({ timeoutMs: 30_000 });
  const pong = makePong();
  pong.seq = first.seq;
  pongs.send(pong);
  for (;;) {
    let ping: Awaited<ReturnType<typeof pings.recv>>;
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
}

/** Peer: echoes raw frames until the bench process ends the stream. */
async function echoRaw(): Promise<void> {
  const socket = await dialRaw(requireEnv("BENCH_PATH"));
  new FrameReader(socket, (body) => socket.write(frame(body)));
  await new Promise<void>((resolve) => socket.on("end", resolve));
  socket.end();
}

export const w1: Workload = {
  id: "w1",
  title: `W1: ${SIZE}-byte ping-pong, ${ROUNDS.toLocaleString("en")} round trips after ${WARMUP.toLocaleString("en")} warm-up`,

  async run(options: RunOptions): Promise<Row[]> {
    const rounds = Math.max(BLOCK, Math.round(ROUNDS * options.scale));
    const warmup = Math.max(BLOCK, Math.round(WARMUP * options.scale));
    const p: Latency[] = [];
    const r: Latency[] = [];
    const show = (l: Latency) => `median ${l.median.toFixed(1)} µs, p99 ${l.p99.toFixed(1)} µs, CPU ${l.cpu.toFixed(1)} µs`;
    for (let i = 0; i < options.repeat; i++) {
      const s = await session(rounds, warmup);
      p.push(s.protochan);
      r.push(s.raw);
      options.log(`  protochan: ${show(s.protochan)}`);
      options.log(`  raw net:   ${show(s.raw)}`);
    }
    const pick = (xs: Latency[], k: keyof Latency) => xs.map((x) => x[k]);
    const row = (label: string, k: keyof Latency, target?: Row["target"]): Row => ({
      label,
      unit: "µs",
      better: "lower",
      protochan: median(pick(p, k)),
      raw: median(pick(r, k)),
      ...(target === undefined ? {} : { target }),
      samples: { protochan: pick(p, k), raw: pick(r, k) },
    });
    return [
      row("W1 64 B ping-pong: median round trip", "median", { kind: "ratio", op: "<=", value: 1.15 }),
      row("W1 64 B ping-pong: p99 round trip", "p99"),
      row("W1 64 B ping-pong: bench-process CPU per round trip", "cpu"),
    ];
  },

  async peer(mode: string): Promise<void> {
    if (mode !== "both") throw new Error(`w1: unknown peer mode ${mode}`);
    await Promise.all([servePongs(), echoRaw()]);
    await tellParent({ done: true });
  },

  notes(): string[] {
    return [
      `W1: protochan sends example.v1.Ping (${toBinary(PingSchema, makePing()).length} bytes encoded) and gets ` +
        `example.v1.Pong (${SIZE} bytes) back, each in a 40-byte protochan frame header; raw net echoes a ${SIZE}-byte ` +
        "body behind a 4-byte length prefix. One peer process serves both; the bench process alternates blocks of " +
        `${BLOCK} round trips between them (same process pair, same CPU placement). Each round trip is timed with ` +
        "process.hrtime.bigint() from just before send to the answer being delivered (decoded, for protochan). The CPU " +
        "row is process.cpuUsage() (user + system) of the bench process during its own blocks, warm-up included, per " +
        "round trip; the peer does the mirror-image work.",
    ];
  },
};
