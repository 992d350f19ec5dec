// Property test of the routing core: 3–4 routers in this process linked by
// simulated sockets (real Connection, real handshakes, seeded random delivery
// delays and chunk splits), random operations on channels spread over them.
// See model.ts for the operations and what is checked.
import { test } from "node:test";
import fc from "fast-check";
import { runScenario, type Op, type Scenario } from "./model.js";

const idx = fc.nat(63);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant("create" as const), node: idx }) },
  { weight: 8, arbitrary: fc.record({ t: fc.constant("send" as const), h: idx, k: fc.integer({ min: 1, max: 8 }), pad: fc.constantFrom(0, 0, 20, 200) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("clone" as const), h: idx }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("give" as const), h: idx, to: idx, close: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant("move" as const), c: idx, to: idx }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("close" as const), h: idx }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("recv" as const), c: idx, k: fc.integer({ min: 1, max: 10 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("closeRx" as const), c: idx }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("carryTx" as const), h: idx, x: idx }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("carryRx" as const), h: idx, c: idx }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant("net" as const), ticks: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("settle" as const) }) },
);

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    nodes: fc.integer({ min: 3, max: 4 }),
    topology: fc.constantFrom("mesh" as const, "line" as const),
    linkWindow: fc.constantFrom(1024, 4096, 1 << 20),
    channelFactor: fc.constantFrom(1, 0.5, 4),
    netSeed: fc.integer(),
    ops: fc.array(opArb, { minLength: 1, maxLength: 80, size: "max" }),
  })
  .map(({ channelFactor, ...rest }) => ({ ...rest, channelWindow: Math.floor(rest.linkWindow * channelFactor) }));

// ROUTER_PROPERTY_RUNS / ROUTER_PROPERTY_SEED: more runs, or replay a seed.
const runs = Number(process.env.ROUTER_PROPERTY_RUNS ?? 200);
const seed = process.env.ROUTER_PROPERTY_SEED === undefined ? undefined : Number(process.env.ROUTER_PROPERTY_SEED);

test("routing: per-stream FIFO, exactly once, disconnection after draining, nothing left — across moves and proxy removal", { timeout: 60_000 }, async (t) => {
  const total = { runs: 0, messages: 0, blocked: 0, moves: 0, switched: 0, forwarded: 0, dials: 0, ticks: 0 };
  await fc.assert(
    fc.asyncProperty(scenarioArb, async (sc) => {
      const { stats } = await runScenario(sc);
      total.runs++;
      for (const key of ["messages", "blocked", "moves", "switched", "forwarded", "dials", "ticks"] as const) total[key] += stats[key];
    }),
    { numRuns: runs, ...(seed === undefined ? {} : { seed }), endOnFailure: false, interruptAfterTimeLimit: 45_000 },
  );
  // Evidence that the interesting paths ran (the last runs are the shrinking ones when a run fails).
  t.diagnostic(JSON.stringify(total));
});
