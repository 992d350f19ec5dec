// A Shop worker, started by pool.ts through a WorkerSet.
import { runWorker } from "protochan";
import { Shop } from "./gen/shop/v1/shop_pb.js";
import type { ShopHandler } from "./gen/shop/v1/shop_rpc.js";

const shop: ShopHandler = {
  getQuote: (req) => ({ cents: BigInt(req.quantity) * 250n, workerPid: process.pid }),
  async *track(req) {
    for (let n = 1; n <= req.quantity; n++) yield { n, workerPid: process.pid };
  },
};

await runWorker(Shop, shop);
