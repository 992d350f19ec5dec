// Replays one scenario of the routing property test (not a test itself):
//   node --conditions=source --import tsx test/router/replay.ts '<scenario JSON>'
// The JSON is a fast-check counterexample. Prints the operation log; on
// failure, the violation and the last operations. ROUTER_TRACE=1 also prints
// every frame each router takes.
import { runScenario, type Scenario } from "./model.js";

const scenario = JSON.parse(process.argv[2] ?? "") as Scenario;
try {
  const { log, stats } = await runScenario(scenario);
  console.log(log.join("\n"));
  console.log("ok", JSON.stringify(stats));
} catch (err) {
  console.log(err instanceof Error ? (process.env.STACK ? err.stack : err.message) : err);
  process.exitCode = 1;
}
