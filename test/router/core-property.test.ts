// Property test of the routing core on its own: routers joined by in-memory
// links (memory-net.ts) that carry its typed events, no sockets or frames.
// It complements routing-property.test.ts (real connections over simulated
// sockets, with kills and hostile peers) with many more, faster scenarios of
// moves, clones, proxy removal and pauses. See core-model.ts.
//
// Environment: CORE_RUNS (default 200), CORE_SEED (fast-check seed; under
// CI=true a fixed one), CORE_PATH (with CORE_SEED: replay one case),
// CORE_TIME_MS (time limit; the test fails if it interrupts the runs).
import { test } from "node:test";
import fc from "fast-check";
import { CORE_PATHS, runCoreScenario, type CoreOp, type CoreScenario } from "./core-model.js";
import { propertyEnv, runProperty } from "./property-run.js";

const idx = fc.nat(63);
const opArb: fc.Arbitrary<CoreOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant("create" as const), node: idx }) },
  { weight: 8, arbitrary: fc.record({ t: fc.constant("send" as const), h: idx, k: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("clone" as const), h: idx }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("give" as const), h: idx, to: idx, close: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant("move" as const), c: idx, to: idx }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("close" as const), h: idx }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("recv" as const), c: idx, k: fc.integer({ min: 1, max: 10 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("closeRx" as const), c: idx }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant("net" as const), steps: fc.integer({ min: 1, max: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("pause" as const), node: idx, steps: fc.integer({ min: 1, max: 60 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("settle" as const) }) },
);

const scenarioArb: fc.Arbitrary<CoreScenario> = fc.record({
  nodes: fc.integer({ min: 3, max: 4 }),
  topology: fc.constantFrom("mesh" as const, "line" as const),
  window: fc.constantFrom(512, 4096, 1 << 20),
  seed: fc.integer(),
  ops: fc.array(opArb, { minLength: 1, maxLength: 80, size: "max" }),
});

const env = propertyEnv("CORE", { runs: 200, ciSeed: 11, minMs: 30_000, msPerRun: 100 });

test(
  "routing core in memory: per-stream FIFO, exactly once, disconnection after draining, nothing left",
  { timeout: env.timeLimitMs + 30_000 },
  (t) => runProperty(t, scenarioArb, { ...env, paths: CORE_PATHS, run: runCoreScenario }),
);
