// Child for the handle tests: opens a one-shot server for untyped messages,
// reports its name, and acts as MODE says.
import { AnyChannel, OneShotServer, connect, type Receiver, type Sender } from "protochan";
import { defaultRouter } from "../../src/routing/process-router.js";
import { report, instruction } from "../helpers/child.js";

const mode = process.env.MODE!;
const { server, name } = await OneShotServer.create(AnyChannel);
report("listening", { name });
const { receiver, first } = await server.accept({ timeoutMs: 20_000 });

interface Request {
  readonly question: string;
  readonly reply: Sender<unknown>;
}

switch (mode) {
  case "reply": {
    // Answer every request on the sender it carries.
    let req = first as Request;
    for (;;) {
      req.reply.send(`answer to ${req.question}`);
      req.reply.close();
      try {
        req = (await receiver.recv()) as Request;
      } catch {
        break;
      }
    }
    break;
  }
  case "relay": {
    // The first message carries a receiver; the second says where to send it on.
    const { rx } = first as { rx: Receiver<unknown> };
    const { forwardTo } = (await receiver.recv()) as { forwardTo: string };
    const onward = await connect(AnyChannel, forwardTo);
    onward.send({ rx });
    report("forwarded");
    // Stay up, answering questions about how much passed through here.
    for (;;) {
      if ((await instruction()) !== "stats") break;
      report("stats", { forwarded: defaultRouter().stats.forwarded });
    }
    onward.close();
    break;
  }
  case "read": {
    // The first message carries a receiver: read numbers from it in order.
    const { rx } = first as { rx: Receiver<unknown> };
    let count = 0;
    let last = 0;
    for await (const v of rx) {
      if (v !== last + 1) throw new Error(`got ${String(v)} after ${last}`);
      last = v as number;
      count++;
    }
    report("received", { count, last });
    break;
  }
  case "fan-in": {
    // The first two messages carry 50 senders each: send numbered messages on random ones, then close all.
    const second = (await receiver.recv()) as { senders: Sender<unknown>[] };
    const senders = [...(first as { senders: Sender<unknown>[] }).senders, ...second.senders];
    const counts = senders.map(() => 0);
    let seed = 7;
    for (let i = 0; i < 2_000; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const n = seed % senders.length;
      senders[n]!.send(`${n}:${++counts[n]!}`);
    }
    for (const s of senders) s.close();
    report("sent", { counts });
    break;
  }
  case "pass-on": {
    // The first message carries a sender and a name: pass the sender on to that server as a request's reply.
    const { reply, to } = first as { reply: Sender<unknown>; to: string };
    const onward = await connect(AnyChannel, to);
    onward.send({ question: "from B", reply });
    reply.close(); // B keeps nothing: the clone in C is the only sender left
    onward.close();
    await onward.flush();
    report("passed");
    break;
  }
  case "sink": {
    // Every message carries a receiver: drain it, then close it. Report fds and heap along the way.
    let done = 0;
    const target = Number(process.env.COUNT);
    const drain = async (rx: Receiver<unknown>) => {
      for await (const _ of rx);
      rx.close();
      done++;
    };
    void drain((first as { rx: Receiver<unknown> }).rx);
    for await (const msg of receiver) void drain((msg as { rx: Receiver<unknown> }).rx);
    while (done < target) await new Promise((r) => setImmediate(r));
    (globalThis as { gc?: () => void }).gc?.();
    const router = defaultRouter();
    report("done", {
      done,
      fds: (await import("node:fs")).readdirSync("/proc/self/fd").length,
      heap: process.memoryUsage().heapUsed,
      routes: [...router.links.values()].reduce((n, l) => n + l.inbound.size + l.outbound.size, 0),
      ports: router.ports.size,
      forwards: router.forwards.size,
    });
    break;
  }
  case "bounce": {
    // The first message carries a receiver and a sender back: send the receiver back at once,
    // then stay up (streams may still pass through here) until told to quit.
    const { rx, back } = first as { rx: Receiver<unknown>; back: Sender<unknown> };
    back.send({ rx });
    back.close();
    report("bounced");
    while ((await instruction()) !== "quit");
    // Proxies retired: nothing of the bounced receiver's streams is left here.
    report("left", { forwards: defaultRouter().forwards.size, forwarded: defaultRouter().stats.forwarded });
    process.exit(0);
    break; // not reached: process.exit never returns
  }
  case "hold": {
    // The first message carries a sender (send COUNT numbers on it) or a receiver (just hold it).
    const { tx, rx } = first as { tx?: Sender<unknown>; rx?: Receiver<unknown> };
    if (tx !== undefined) {
      for (let i = 1; i <= Number(process.env.COUNT ?? 0); i++) if (!tx.send(i)) await tx.ready();
      await tx.flush();
      if (process.env.THEN === "close") tx.close();
    }
    report("holding", { what: tx !== undefined ? "sender" : rx !== undefined ? "receiver" : "nothing" });
    setInterval(() => {}, 1000); // until killed
    break;
  }
  default:
    throw new Error(`unknown MODE ${mode}`);
}
