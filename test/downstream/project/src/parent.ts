// The parent: a one-shot server for Orders; the child sends one carrying a
// Sender<Update>, and the parent answers on that sender.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { OneShotServer } from "protochan";
import { OrderChannel } from "./gen/shop/v1/shop_chan.js";
import { UpdateSchema } from "./gen/shop/v1/shop_pb.js";

const { server, name } = await OneShotServer.create(OrderChannel);
const child = spawn(process.execPath, [fileURLToPath(new URL("child.js", import.meta.url))], {
  env: { ...process.env, SHOP_SERVER: name },
  stdio: ["ignore", "inherit", "inherit"],
});
const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));

const { receiver, first: order } = await server.accept({ timeoutMs: 20_000 });
if (order.updates === undefined) throw new Error("the order carries no updates sender");
for (const [i, text] of ["received", "packed", "shipped"].entries()) {
  order.updates.send(create(UpdateSchema, { step: i + 1, text: `${order.quantity} x ${order.item} ${text}` }));
}
order.updates.close();
receiver.close();
const code = await exited;
console.log(`parent: child exited with ${code}`);
process.exitCode = code === 0 ? 0 : 1;
