// The child: connects to the parent, sends an Order whose `updates` field is
// a sender of its own channel, and reads the updates until the parent closes.
import { create } from "@bufbuild/protobuf";
import { channel, connect, DisconnectedError } from "protochan";
import { OrderChannel, UpdateChannel } from "./gen/shop/v1/shop_chan.js";
import { OrderSchema } from "./gen/shop/v1/shop_pb.js";

const serverName = process.env.SHOP_SERVER;
if (serverName === undefined) throw new Error("SHOP_SERVER is not set");
const orders = await connect(OrderChannel, serverName);
const [updates, inbox] = channel(UpdateChannel);
orders.send({ ...create(OrderSchema, { item: "widget", quantity: 3 }), updates });
updates.close(); // the copy that travelled keeps the channel open
await orders.flush();
orders.close();
for (;;) {
  try {
    const u = await inbox.recv({ timeoutMs: 10_000 });
    console.log(`child: update ${u.step}: ${u.text}`);
  } catch (err) {
    if (err instanceof DisconnectedError) break;
    throw err;
  }
}
console.log("child: done");
