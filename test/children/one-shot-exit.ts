// Child: runs a one-shot server, lets the parent connect, and exits at once
// after accept() in the way MODE says: "exit" (no close), or "close" (every
// close() awaited, then exit).
import { OneShotServer } from "protochan";
import { PingChannel } from "../../generated/example/v1/example_chan.js";
import { report } from "../helpers/child.js";

const { server, name } = await OneShotServer.create(PingChannel);
report("listening", { name });
await server.accept({ timeoutMs: 20_000 });
if (process.env.MODE === "close") await Promise.all([server.close(), server.close()]);
process.exit(0);
