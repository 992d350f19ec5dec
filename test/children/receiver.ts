// Child: opens a one-shot server, reports its name, and receives Pings in the
// way MODE says.
import { OneShotServer } from "protochan";
import { PingChannel } from "../../generated/example/v1/example_chan.js";
import { report } from "../helpers/child.js";

const mode = process.env.MODE!;
const { server, name } = await OneShotServer.create(PingChannel);
report("listening", { name });
const { receiver, first } = await server.accept({ timeoutMs: 20_000 });
report("first", { seq: first.seq });

switch (mode) {
  case "close-after-first":
    receiver.close();
    report("closed");
    break;
  case "hang":
    setInterval(() => {}, 1000); // stay alive until killed
    break;
  default:
    throw new Error(`unknown MODE ${mode}`);
}
