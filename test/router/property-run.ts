// How both routing property tests run: fast-check with a time limit that
// fails rather than passes with fewer runs, per-path counters summed over the
// runs, and a check that every path was taken at least once.
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import fc from "fast-check";

export interface PropertyRun<S, K extends string> {
  readonly runs: number;
  readonly seed: number | undefined;
  /** Replays one case (with `seed`); its coverage is not checked. */
  readonly path: string | undefined;
  readonly timeLimitMs: number;
  /** The paths to cover, each with what it means (for the failure message). */
  readonly paths: Readonly<Record<K, string>>;
  /** One scenario; its counters (a key per path, and maybe more). */
  readonly run: (scenario: S) => Promise<Readonly<Record<string, number>>>;
}

export async function runProperty<S, K extends string>(t: TestContext, arb: fc.Arbitrary<S>, p: PropertyRun<S, K>): Promise<void> {
  const total = new Map<string, number>();
  let runsDone = 0;
  await fc.assert(
    fc.asyncProperty(arb, async (scenario) => {
      const stats = await p.run(scenario);
      runsDone++;
      for (const [key, n] of Object.entries<number>(stats)) total.set(key, (total.get(key) ?? 0) + n);
    }),
    {
      numRuns: p.runs,
      ...(p.seed === undefined ? {} : { seed: p.seed }),
      ...(p.path === undefined ? {} : { path: p.path }),
      endOnFailure: false,
      includeErrorInReport: true,
      interruptAfterTimeLimit: p.timeLimitMs,
      // Interrupted runs are a failure, not a pass with fewer runs.
      markInterruptAsFailure: true,
    },
  );
  t.diagnostic(JSON.stringify({ runs: runsDone, ...Object.fromEntries(total) }));
  if (p.path !== undefined) return; // a replay of one case covers what it covers
  assert.equal(runsDone, p.runs, `only ${runsDone} of ${p.runs} runs completed`);
  const missing = (Object.keys(p.paths) as K[]).filter((key) => (total.get(key) ?? 0) === 0);
  assert.deepEqual(
    missing.map((key) => `${key}: ${p.paths[key]}`),
    [],
    `paths never taken in ${p.runs} runs`,
  );
}

/**
 * Runs, seed, replay path and time limit from `${prefix}_RUNS`, `_SEED`,
 * `_PATH` and `_TIME_MS`. Under CI=true the seed defaults to `ciSeed` (so CI
 * is repeatable); elsewhere each run explores new seeds.
 */
export function propertyEnv(
  prefix: string,
  d: { readonly runs: number; readonly ciSeed: number; readonly minMs: number; readonly msPerRun: number },
): { runs: number; seed: number | undefined; path: string | undefined; timeLimitMs: number } {
  const env = (name: string) => process.env[`${prefix}_${name}`];
  const runs = Number(env("RUNS") ?? d.runs);
  const seedText = env("SEED");
  const seed = seedText !== undefined ? Number(seedText) : process.env.CI ? d.ciSeed : undefined;
  const timeLimitMs = Number(env("TIME_MS") ?? Math.max(d.minMs, runs * d.msPerRun));
  return { runs, seed, path: env("PATH"), timeLimitMs };
}
