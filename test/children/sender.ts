// Child: connects to the parent's one-shot server (PROTOCHAN_NAME) and sends
// Pings in the way MODE says, reporting progress as JSON lines.
import { create } from "@bufbuild/protobuf";
import { AnyChannel, channel, connect, type HandshakeError, type Sender } from "protochan";
import { PingChannel } from "../../generated/example/v1/example_chan.js";
import { PingSchema, type Ping } from "../../generated/example/v1/example_pb.js";
import { report } from "../helpers/child.js";

const name = process.env.PROTOCHAN_NAME!;
const mode = process.env.MODE!;
const ping = (seq: number, text = "", payload = new Uint8Array(0)): Ping => create(PingSchema, { seq: BigInt(seq), text, payload });

async function sendAll(tx: Sender<Ping>, values: Iterable<Ping>): Promise<void> {
  for (const v of values) if (!tx.send(v)) await tx.ready();
}

function* range(from: number, to: number): Iterable<number> {
  for (let i = from; i <= to; i++) yield i;
}

switch (mode) {
  case "count": {
    const tx = await connect(PingChannel, name);
    const n = Number(process.env.COUNT);
    await sendAll(
      tx,
      [...range(1, n)].map((i) => ping(i)),
    );
    tx.close();
    break;
  }
  case "big": {
    const tx = await connect(PingChannel, name, { maxFrameSize: 64 << 20 });
    const payload = new Uint8Array(32 << 20);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
    tx.send(ping(1, "big", payload));
    tx.close();
    break;
  }
  case "clones": {
    // Five senders (the original and 4 clones) interleave; each tags its own
    // sequence. Four close, then the last sends a marker and closes.
    const original = await connect(PingChannel, name);
    const senders = [original, ...[1, 2, 3, 4].map(() => original.clone())];
    for (let i = 1; i <= 200; i++) {
      for (let c = 0; c < senders.length; c++) senders[(c + i) % senders.length]!.send(ping(i, `clone-${(c + i) % senders.length}`));
    }
    for (const s of senders.slice(0, 4)) s.close();
    senders[4]!.send(ping(0, "marker"));
    await senders[4]!.flush();
    report("closed-four");
    senders[4]!.close();
    break;
  }
  case "slow-reader": {
    // 200 x 1 MiB through a slow reader, respecting backpressure; report the
    // most memory this process held in buffers meanwhile.
    const tx = await connect(PingChannel, name);
    const chunk = new Uint8Array(1 << 20).fill(7);
    let peak = 0;
    for (let i = 1; i <= 200; i++) {
      if (!tx.send(ping(i, "", chunk))) await tx.ready();
      // Retained memory, not garbage awaiting collection (run with --expose-gc).
      if (i % 5 === 0) {
        (globalThis as { gc?: () => void }).gc?.();
        peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      }
    }
    report("peak", { arrayBuffers: peak });
    tx.close();
    break;
  }
  case "ignore-backpressure": {
    // 300 × 64 KiB without waiting for ready(): past the 8 MiB window they are
    // held here (snapshotted) and sent as credit comes back.
    const tx = await connect(PingChannel, name);
    let held = 0;
    for (let i = 1; i <= 300; i++) if (!tx.send(ping(i, "", new Uint8Array(64 * 1024).fill(i & 0xff)))) held++;
    report("sent", { held });
    tx.close();
    break;
  }
  case "hang": {
    const tx = await connect(PingChannel, name);
    tx.send(ping(1, "hello"));
    await tx.flush();
    report("sent");
    setInterval(() => {}, 1000); // stay alive until killed
    break;
  }
  case "bad-token": {
    try {
      await connect(PingChannel, name);
      report("connected");
    } catch (err) {
      report("refused", { code: (err as HandshakeError).code, message: (err as Error).message });
    }
    break;
  }
  case "timed": {
    // How long connect() takes (the server may be under a flood of strangers).
    const t0 = performance.now();
    const tx = await connect(PingChannel, name, { timeoutMs: 10_000 });
    report("connected", { ms: performance.now() - t0 });
    tx.send(ping(1, "in"));
    tx.close();
    await tx.flush();
    break;
  }
  case "reentrant": {
    // The codec reads `text` through a getter that sends on a clone of the
    // very sender that is encoding: "inner" (sent from inside) and "outer".
    const tx = await connect(PingChannel, name);
    const clone = tx.clone();
    const outer = ping(2);
    let innerSent = false;
    Object.defineProperty(outer, "text", {
      enumerable: true,
      get() {
        if (!innerSent) {
          innerSent = true;
          clone.send(ping(1, "inner"));
        }
        return "outer";
      },
    });
    tx.send(outer);
    tx.send(ping(3, "after"));
    clone.close();
    tx.close();
    await tx.flush();
    break;
  }
  case "reentrant-other": {
    // A getter sends on another sender whose messages go over the same
    // connection (its receiver was moved to the parent): that frame must not
    // land inside the one being encoded.
    const tx = await connect(AnyChannel, name);
    const [other, rx] = channel();
    tx.send({ rx });
    other.send("before");
    tx.send({
      get text() {
        other.send("inner");
        return "outer";
      },
    });
    other.close();
    tx.send("after");
    tx.close();
    await tx.flush();
    break;
  }
  default:
    throw new Error(`unknown MODE ${mode}`);
}
