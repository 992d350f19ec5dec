// One-way throughput workloads (W2, W3, …): the peer sends `count` messages
// as fast as backpressure allows, the bench process receives them. The time
// runs from the sender's first send to the receiver holding the last message;
// both ends read CLOCK_MONOTONIC (process.hrtime.bigint()), the sender reports
// its start over the control channel once it is done.
import { connect, OneShotServer, type ChannelType } from "protochan";
import { now, requireEnv, seconds, tellParent, withPeer } from "./harness.js";
import { dialRaw, FrameReader, FrameWriter, listenRaw } from "./raw-net.js";

/** Bench side, protochan: seconds to receive `count` messages from the peer in `mode`. */
export async function receiveProtochan<T>(
  workload: string,
  mode: string,
  type: ChannelType<T>,
  count: number,
  onMessage: (value: T) => void,
): Promise<number> {
  const { server, name } = await OneShotServer.create(type);
  return withPeer(workload, mode, { BENCH_NAME: name, BENCH_COUNT: String(count) }, async (peer) => {
    const { receiver, first } = await peer.guard(server.accept({ timeoutMs: 30_000 }));
    onMessage(first);
    let n = 1;
    const t1 = await peer.guard(
      (async () => {
        while (n < count) {
          const batch = await receiver.recvMany();
          for (const v of batch) onMessage(v);
          n += batch.length;
        }
        return now();
      })(),
    );
    const { t0 } = await peer.next();
    receiver.close();
    return seconds(BigInt(t0 as string), t1);
  });
}

/** Bench side, raw net: seconds to receive `count` frames from the peer in `mode`. */
export async function receiveRaw(workload: string, mode: string, count: number, onFrame: (body: Uint8Array) => void): Promise<number> {
  const server = await listenRaw();
  try {
    return await withPeer(workload, mode, { BENCH_PATH: server.path, BENCH_COUNT: String(count) }, async (peer) => {
      const socket = await peer.guard(server.accept());
      let n = 0;
      const t1 = await peer.guard(
        new Promise<bigint>((resolve) => {
          new FrameReader(socket, (body) => {
            onFrame(body);
            if (++n === count) resolve(now());
          });
        }),
      );
      const { t0 } = await peer.next();
      return seconds(BigInt(t0 as string), t1);
    });
  } finally {
    server.close();
  }
}

/** Peer side, protochan: sends `value` BENCH_COUNT times, respecting flow control. */
export async function sendProtochan<T>(type: ChannelType<T>, value: T): Promise<void> {
  const count = Number(requireEnv("BENCH_COUNT"));
  const tx = await connect(type, requireEnv("BENCH_NAME"), { timeoutMs: 30_000 });
  const t0 = now();
  for (let i = 0; i < count; i++) if (!tx.send(value)) await tx.ready();
  await tx.flush();
  tx.close();
  await tellParent({ t0: String(t0) });
}

/**
 * Peer side, raw net: sends BENCH_COUNT frames with the bodies `next()`
 * returns, waiting for 'drain' when the socket asks to. Bodies under 64 KiB
 * are copied at once (next() may reuse its buffer); larger ones are written
 * by reference and must not change.
 */
export async function sendRaw(next: () => Uint8Array): Promise<void> {
  const count = Number(requireEnv("BENCH_COUNT"));
  const socket = await dialRaw(requireEnv("BENCH_PATH"));
  const w = new FrameWriter(socket);
  const t0 = now();
  for (let i = 0; i < count; i++) if (!w.write(next())) await w.drained();
  await w.end();
  await tellParent({ t0: String(t0) });
}
