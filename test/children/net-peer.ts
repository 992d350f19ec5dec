// Child for the network tests, run on a "host" (a network namespace). Its
// credentials come from CA, CERT, KEY (file paths); MODE says what it does:
// serve   listen on ADDRESS (MUTUAL=1: client certificates required), take one
//         client, then THEN=read (numbers in order), THEN=read-moved (numbers
//         from the receiver its first message carries) or THEN=relay (a
//         receiver, then where to forward it);
// send    connect to NAME and send COUNT numbers;
// origin  connect to NAME, send a receiver there mid-stream and tell it to
//         forward the receiver to ONWARD; report once the stream switched.
import { AnyChannel, OneShotServer, ProtochanError, channel, connect, type Receiver, type TlsOptions } from "protochan";
import { originOf } from "../../src/bootstrap/link-origin.js";
import { defaultRouter } from "../../src/routing/process-router.js";
import { instruction, report } from "../helpers/child.js";

const env = process.env;
const tls: TlsOptions = {
  ca: env.CA || undefined,
  cert: env.CERT || undefined,
  key: env.KEY || undefined,
  requireClientCert: env.MUTUAL === "1",
};
const allowInsecure = env.ALLOW_INSECURE === "1";

async function sendRange(tx: { send(v: unknown): boolean; ready(): Promise<void> }, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++) if (!tx.send(i)) await tx.ready();
}

/** Numbers in order from `rx` until it disconnects. */
async function readNumbers(rx: AsyncIterable<unknown>, last = 0, count = 0): Promise<{ count: number; last: number }> {
  for await (const v of rx) {
    if (v !== last + 1) throw new Error(`got ${String(v)} after ${last}`);
    last = v as number;
    count++;
  }
  return { count, last };
}

/** Each link of this process's router: the transport it runs over. */
function links(): string[] {
  return [...defaultRouter().links.values()].map((l) => originOf(l)?.scheme ?? "?").sort();
}

function failure(err: unknown): Record<string, unknown> {
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  return {
    code: err instanceof ProtochanError ? err.code : "not a ProtochanError",
    message: err instanceof Error ? err.message : String(err),
    causeCode: cause?.code,
  };
}

switch (env.MODE) {
  case "serve": {
    let server: OneShotServer<unknown>;
    let name: string;
    try {
      ({ server, name } = await OneShotServer.create(AnyChannel, { address: env.ADDRESS!, tls, allowInsecure }));
    } catch (err) {
      report("listen-refused", failure(err));
      break;
    }
    const rejected: string[] = [];
    server.on("rejected", (err) => rejected.push(err.message));
    report("listening", { name });
    const { receiver, first } = await server.accept({ timeoutMs: 30_000 });
    if (env.THEN === "read") {
      report("received", { ...(await readNumbers(receiver, first as number, 1)), rejected });
    } else if (env.THEN === "read-moved") {
      report("received", { ...(await readNumbers((first as { rx: Receiver<unknown> }).rx)), links: links() });
    } else {
      const { rx } = first as { rx: Receiver<unknown> };
      const { forwardTo } = (await receiver.recv({ timeoutMs: 30_000 })) as { forwardTo: string };
      const onward = await connect(AnyChannel, forwardTo, { tls, timeoutMs: 20_000 });
      onward.send({ rx });
      report("forwarded");
      while ((await instruction()) === "stats") report("stats", { forwarded: defaultRouter().stats.forwarded, links: links() });
      onward.close();
      await onward.flush();
      process.exit(0); // stdin, read for instructions, would keep the process up
    }
    await server.close();
    break;
  }
  case "send": {
    try {
      const tx = await connect(AnyChannel, env.NAME!, { tls, allowInsecure, timeoutMs: 20_000 });
      const linked = links();
      await sendRange(tx, 1, Number(env.COUNT));
      await tx.flush();
      tx.close();
      report("sent", { links: linked });
    } catch (err) {
      report("refused", failure(err));
    }
    break;
  }
  case "origin": {
    const toB = await connect(AnyChannel, env.NAME!, { tls, timeoutMs: 20_000 });
    const [tx, rx] = channel();
    const router = defaultRouter();
    const before = router.stats.switched;
    await sendRange(tx, 1, 2_000); // queued here, then moved with the receiver
    toB.send({ rx });
    await sendRange(tx, 2_001, 4_000); // in flight while B holds it
    toB.send({ forwardTo: env.ONWARD! });
    await sendRange(tx, 4_001, 7_000); // while B forwards and the proxies are removed
    // Switched twice: off the local proxy onto B, then off B onto the new host's process.
    await new Promise<void>((resolve) => {
      const check = () => router.stats.switched >= before + 2 && resolve();
      router.onSwitch = check;
      check();
    });
    router.onSwitch = undefined;
    await tx.flush();
    report("switched", { links: links() });
    if ((await instruction()) !== "more") break;
    await sendRange(tx, 7_001, 10_000);
    await tx.flush();
    tx.close();
    report("done");
    await instruction(); // stay up until told: the reader may still be reading what we sent
    toB.close();
    await toB.flush();
    process.exit(0); // stdin, read for instructions, would keep the process up
    break; // not reached: process.exit never returns
  }
  default:
    throw new Error(`unknown MODE ${env.MODE}`);
}
