// Child: a packet server that dies at the worst moment. It takes the client's
// stream hello on the control channel, reports it, and then waits to be
// killed without ever opening the data channel.
import { OneShotServer } from "protochan";
import { controlChannel } from "../../src/packet-stream/channels.js";
import { report } from "../helpers/child.js";

const { server, name } = await OneShotServer.create(controlChannel("protochan.v1.Packet"));
report("listening", { name });
const { first } = await server.accept({ timeoutMs: 20_000 });
report("hello", { dataName: first.dataName, maxBatchBytes: first.maxBatchBytes });
await new Promise(() => {}); // until killed
