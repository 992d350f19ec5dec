// Demo: a parent and a child process exchange typed messages both ways.
//
// 1. The parent opens a one-shot server for Pongs and starts the child with
//    the server's name in PROTOCHAN_NAME.
// 2. The child opens its own one-shot server for Pings, connects to the
//    parent, and sends its server's name in the first Pong.
// 3. The parent connects back and sends Pings; the child answers each one.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { OneShotServer, connect } from "protochan";
import { PingChannel, PongChannel } from "../../generated/example/v1/example_chan.js";
import { PingSchema } from "../../generated/example/v1/example_pb.js";

const log = (...args: unknown[]) => console.log("[parent]", ...args);

const { server, name } = await OneShotServer.create(PongChannel);
log(`one-shot server for example.v1.Pong at ${name.replace(/#.*/, "#<token>")}`);

const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(new URL("child.ts", import.meta.url))], {
  env: { ...process.env, PROTOCHAN_NAME: name },
  stdio: "inherit",
});

const { receiver: pongs, first } = await server.accept({ timeoutMs: 15_000 });
log(`child ${first.childPid} connected; its Ping server is ${first.text.replace(/#.*/, "#<token>")}`);

const pings = await connect(PingChannel, first.text);
const words = ["typed", "channels", "between", "processes"];
for (const [i, text] of words.entries()) {
  pings.send(create(PingSchema, { seq: BigInt(i + 1), text }));
  const pong = await pongs.recv({ timeoutMs: 5_000 });
  log(`sent Ping #${i + 1} "${text}" -> got Pong #${pong.seq} "${pong.text}" from pid ${pong.childPid}`);
}

// A burst: 10,000 Pings, answered in order.
const started = performance.now();
for (let i = 1; i <= 10_000; i++) {
  if (!pings.send(create(PingSchema, { seq: BigInt(100 + i), text: "burst" }))) await pings.ready();
}
let next = 101n;
while (next <= 10_100n) {
  for (const pong of await pongs.recvMany(10_000, { timeoutMs: 10_000 })) {
    if (pong.seq !== next++) throw new Error(`Pong ${pong.seq} out of order, expected ${next - 1n}`);
  }
}
log(`burst: 10,000 Pings answered in order in ${(performance.now() - started).toFixed(0)} ms`);

pings.close(); // the child sees its Ping channel disconnect and says goodbye
const last = await pongs.recv({ timeoutMs: 5_000 });
log(`child said "${last.text}"`);
const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
log(`child exited with code ${code}`);
process.exitCode = code === 0 ? 0 : 1;
