// Child for the proxy-fault tests (test/handles/faults-*.test.ts), acting as ROLE says:
//   sink  (C) — a server: a client's first message {reply} opens a ping channel (each
//               {ping} is answered on `reply`); every {rx, trial} is a moved receiver of
//               numbers, read to its end and reported as a "result".
//   proxy (B) — connects to the sink (SINK), then passes every {rx, trial} it is sent on
//               to it, reporting "forwarded" once the frame left.
import { AnyChannel, DisconnectedError, OneShotServer, Server, connect, type Receiver, type Sender } from "protochan";
import { report } from "../helpers/child.js";

interface Moved {
  readonly rx: Receiver<unknown>;
  readonly trial: number;
}

/** Reads a moved receiver to its end: how many in-order numbers came, and how it ended. */
async function readNumbers({ rx, trial }: Moved): Promise<void> {
  let last = 0;
  let disorder: string | undefined;
  let reason = "closed";
  try {
    for (;;) {
      for (const v of await rx.recvMany()) {
        if (v !== last + 1) disorder ??= `got ${String(v)} after ${last}`;
        else last = v as number;
      }
    }
  } catch (err) {
    if (!(err instanceof DisconnectedError)) throw err;
    reason = err.reason;
  }
  report("result", { trial, last, reason, disorder });
}

async function serveClient(rx: Receiver<unknown>): Promise<void> {
  let reply: Sender<unknown> | undefined;
  try {
    for (;;) {
      const msg = (await rx.recv()) as { reply?: Sender<unknown>; ping?: number } & Partial<Moved>;
      if (msg.reply !== undefined) reply = msg.reply;
      if (msg.ping !== undefined) reply!.send({ pong: msg.ping });
      if (msg.rx !== undefined) void readNumbers(msg as Moved);
    }
  } catch (err) {
    // A proxy's connection may be lost (it is killed); the ping connection must not be.
    if (!(err instanceof DisconnectedError)) throw err;
    report("client-ended", { reason: err.reason, ping: reply !== undefined });
  }
}

if (process.env.ROLE === "sink") {
  const { server, name } = await Server.create(AnyChannel);
  report("listening", { name });
  for await (const rx of server) void serveClient(rx);
} else if (process.env.ROLE === "proxy") {
  const onward = await connect(AnyChannel, process.env.SINK!);
  const { server, name } = await OneShotServer.create(AnyChannel);
  report("listening", { name });
  const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
  for (let msg = first as Moved; ; msg = (await receiver.recv()) as Moved) {
    onward.send({ rx: msg.rx, trial: msg.trial });
    await onward.flush();
    report("forwarded", { trial: msg.trial });
  }
} else {
  throw new Error(`unknown ROLE ${process.env.ROLE}`);
}
