// Counterexamples the routing property test once found, replayed as they were
// shrunk (each failed before its fix; see the commit that added it).
import { test } from "node:test";
import { runScenario, type Scenario } from "./model.js";

const cases: Record<string, string> = {
  // A receiver left a node inside a message and the node was killed: the model waited for it.
  "seed 3011: a receiver lost in a message from a killed node":
    '{"nodes":3,"topology":"mesh","linkWindow":1024,"netSeed":0,"tight":false,"ops":[{"t":"create","node":0},{"t":"create","node":0},{"t":"move","c":0,"to":0},{"t":"settle"},{"t":"carryRx","h":20,"c":0},{"t":"net","ticks":1},{"t":"move","c":0,"to":3},{"t":"move","c":0,"to":0},{"t":"closeRx","c":0},{"t":"net","ticks":1},{"t":"carryRx","h":0,"c":0},{"t":"move","c":0,"to":0},{"t":"close","h":0},{"t":"give","h":0,"to":0,"close":false},{"t":"recv","c":0,"k":1},{"t":"overrun","h":0},{"t":"clone","h":0},{"t":"net","ticks":1},{"t":"settle"},{"t":"net","ticks":1},{"t":"send","h":0,"k":1,"pad":0},{"t":"recv","c":0,"k":1},{"t":"recv","c":0,"k":1},{"t":"recv","c":0,"k":1},{"t":"create","node":0},{"t":"send","h":0,"k":1,"pad":0},{"t":"settle"},{"t":"move","c":0,"to":0},{"t":"kill","node":0}],"channelWindow":1024}',
  // A continuation parked for a receiver beyond a killed node kept its bytes counted for ever.
  "seed 3014: a parked continuation whose receiver left over a lost link is refused as lost":
    '{"nodes":3,"topology":"mesh","linkWindow":1048576,"netSeed":0,"tight":false,"ops":[{"t":"create","node":1},{"t":"give","h":0,"to":3,"close":false},{"t":"move","c":0,"to":45},{"t":"net","ticks":1},{"t":"net","ticks":4},{"t":"net","ticks":1},{"t":"net","ticks":1},{"t":"move","c":0,"to":0},{"t":"net","ticks":2},{"t":"send","h":0,"k":1,"pad":0},{"t":"move","c":0,"to":0},{"t":"send","h":0,"k":1,"pad":0},{"t":"clone","h":0},{"t":"create","node":0},{"t":"close","h":0},{"t":"move","c":0,"to":0},{"t":"create","node":0},{"t":"send","h":0,"k":1,"pad":0},{"t":"close","h":27},{"t":"kill","node":4}],"channelWindow":1048576}',
  // A sender was given away while its local stream waited for a continuation through a proxy; the
  // proxy was killed, the stream cut and the receiver disconnected, and then the clone opened: it
  // joined the ended receiver, so the sender it carried sat unread in its queue for ever.
  "seed 1414: a clone whose parent stream was cut is refused as lost":
    '{"nodes":3,"topology":"mesh","linkWindow":1024,"netSeed":0,"tight":false,"ops":[{"t":"settle"},{"t":"carryTx","h":0,"x":0},{"t":"move","c":0,"to":0},{"t":"create","node":4},{"t":"create","node":55},{"t":"move","c":0,"to":3},{"t":"carryRx","h":0,"c":0},{"t":"send","h":0,"k":1,"pad":0},{"t":"net","ticks":3},{"t":"clone","h":0},{"t":"move","c":0,"to":21},{"t":"send","h":0,"k":1,"pad":0},{"t":"overrun","h":0},{"t":"send","h":0,"k":1,"pad":0},{"t":"carryRx","h":0,"c":0},{"t":"send","h":0,"k":1,"pad":0},{"t":"recv","c":0,"k":1},{"t":"send","h":0,"k":1,"pad":0},{"t":"net","ticks":1},{"t":"create","node":55},{"t":"create","node":0},{"t":"create","node":25},{"t":"carryRx","h":1,"c":0},{"t":"clone","h":0},{"t":"net","ticks":1},{"t":"net","ticks":7},{"t":"create","node":23},{"t":"move","c":42,"to":0},{"t":"give","h":0,"to":0,"close":false},{"t":"overrun","h":0},{"t":"net","ticks":1},{"t":"net","ticks":1},{"t":"kill","node":2},{"t":"give","h":0,"to":0,"close":false},{"t":"clone","h":0},{"t":"net","ticks":1},{"t":"move","c":0,"to":0},{"t":"pause","node":0,"ticks":1},{"t":"give","h":0,"to":0,"close":false},{"t":"send","h":0,"k":1,"pad":0},{"t":"carryTx","h":0,"x":0},{"t":"overrun","h":0},{"t":"give","h":0,"to":0,"close":false},{"t":"carryRx","h":0,"c":0},{"t":"send","h":0,"k":1,"pad":0},{"t":"settle"},{"t":"give","h":0,"to":0,"close":true},{"t":"net","ticks":1},{"t":"recv","c":0,"k":2},{"t":"overrun","h":0},{"t":"carryRx","h":0,"c":0},{"t":"settle"},{"t":"create","node":0},{"t":"give","h":0,"to":0,"close":true},{"t":"carryTx","h":46,"x":0},{"t":"send","h":0,"k":1,"pad":0},{"t":"recv","c":0,"k":1},{"t":"give","h":0,"to":0,"close":false},{"t":"pause","node":0,"ticks":1},{"t":"move","c":0,"to":0},{"t":"recv","c":0,"k":1},{"t":"overrun","h":0},{"t":"recv","c":0,"k":1},{"t":"send","h":0,"k":1,"pad":0},{"t":"send","h":0,"k":1,"pad":0}],"channelWindow":1024}',
};

for (const [name, json] of Object.entries(cases)) {
  test(name, { timeout: 60_000 }, async () => {
    await runScenario(JSON.parse(json) as Scenario);
  });
}
