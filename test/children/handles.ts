// Child for the handle tests: opens a one-shot server for untyped messages,
// reports its name, and acts as MODE says.
import { AnyChannel, OneShotServer, connect, type Receiver, type Sender } from "protochan";
import { defaultRouter } from "../../src/connection/net-router.js";
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
  case "hold": {
    // The first message carries a sender (send COUNT numbers on it) or a receiver (just hold it).
    const { tx, rx } = first as { tx?: Sender<unknown>; rx?: Receiver<unknown> };
    if (tx !== undefined) {
      for (let i = 1; i <= Number(process.env.COUNT ?? 0); i++) tx.send(i);
      await tx.flush();
    }
    report("holding", { what: tx !== undefined ? "sender" : rx !== undefined ? "receiver" : "nothing" });
    setInterval(() => {}, 1000); // until killed
    break;
  }
  default:
    throw new Error(`unknown MODE ${mode}`);
}
