// Demo child: answers every Ping from the parent with a Pong.
import { create } from "@bufbuild/protobuf";
import { DisconnectedError, OneShotServer, connect } from "protochan";
import { PingChannel, PongChannel } from "../../generated/example/v1/example_chan.js";
import { PongSchema } from "../../generated/example/v1/example_pb.js";

const log = (...args: unknown[]) => console.log("[child] ", ...args);
const parentName = process.env.PROTOCHAN_NAME;
if (parentName === undefined) throw new Error("start me from parent.ts: PROTOCHAN_NAME is not set");

// The way back: a server of our own, whose name travels in the first Pong.
const { server, name } = await OneShotServer.create(PingChannel);
const pongs = await connect(PongChannel, parentName);
pongs.send(create(PongSchema, { seq: 0n, text: name, childPid: process.pid }));
log("connected to the parent, waiting for Pings");

const { receiver: pings, first } = await server.accept({ timeoutMs: 15_000 });
let ping = first;
let count = 0;
for (;;) {
  count++;
  const text = ping.text === "burst" ? "ok" : ping.text.toUpperCase();
  if (!pongs.send(create(PongSchema, { seq: ping.seq, text, childPid: process.pid }))) await pongs.ready();
  try {
    ping = await pings.recv();
  } catch (err) {
    if (!(err instanceof DisconnectedError)) throw err;
    break;
  }
}
log(`parent closed the Ping channel after ${count} Pings`);
pongs.send(create(PongSchema, { seq: 0n, text: `goodbye after ${count} pings`, childPid: process.pid }));
pongs.close();
