// A bounded libFuzzer run of every fuzz target of the C library (c/fuzz/,
// built by `make -C c fuzz` with clang and AddressSanitizer +
// UndefinedBehaviorSanitizer): the checked-in corpus first, then new inputs,
// for a few seconds each. Any crash, sanitizer report or timeout fails.
// Without clang and its libFuzzer runtime this test fails and says what to
// install: the fuzzing is part of the suite, not optional.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildDir } from "../c-layout/c-build.js";
import { cDir } from "./c-lib.js";

const TARGETS = ["frame", "hello", "welcome", "handles"];
const SECONDS = 4;
const INSTALL = "install clang with its libFuzzer runtime (Debian 12: apt-get install clang libclang-rt-14-dev)";

/** Fails unless clang links a -fsanitize=fuzzer,address,undefined program. */
function checkClang(dir: string): void {
  const probe = join(dir, "probe.c");
  writeFileSync(
    probe,
    "#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n",
  );
  const r = spawnSync("clang", ["-fsanitize=fuzzer,address,undefined", probe, "-o", join(dir, "probe")], { encoding: "utf8" });
  if (r.error) assert.fail(`clang not found: ${INSTALL}`);
  if (r.status !== 0) assert.fail(`clang cannot build a libFuzzer target (${r.stderr.trim()}): ${INSTALL}`);
}

function runTarget(exe: string, work: string, corpus: string): Promise<{ code: number | null; log: string }> {
  return new Promise((resolve) => {
    const args = [`-max_total_time=${SECONDS}`, "-max_len=8192", "-timeout=10", `-artifact_prefix=${work}/`, work, corpus];
    const child = spawn(exe, args, { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    child.stderr.on("data", (d: Buffer) => (log += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), (SECONDS + 20) * 1000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, log });
    });
  });
}

test(`every C fuzz target survives its corpus and ${SECONDS} s of fuzzing under ASan + UBSan`, { timeout: 120_000 }, async () => {
  const build = buildDir("c-fuzz");
  checkClang(build);
  const r = spawnSync("make", ["-s", "-j2", "-C", cDir, "fuzz", `BUILD=${build}`], { encoding: "utf8" });
  assert.equal(r.status, 0, `make fuzz failed:\n${r.stdout}${r.stderr}`);
  const runs = join(build, "runs");
  mkdirSync(runs, { recursive: true });
  for (const target of TARGETS) {
    const work = mkdtempSync(join(runs, `${target}-`));
    try {
      const { code, log } = await runTarget(join(build, "fuzz", target), work, join(cDir, "fuzz", "corpus", target));
      assert.equal(code, 0, `${target}: libFuzzer exited with ${code}:\n${log.slice(-4000)}`);
      assert.doesNotMatch(log, /ERROR: |runtime error:|SUMMARY: /, `${target}:\n${log.slice(-4000)}`);
      // It really ran: the corpus was loaded and inputs executed.
      const done = /#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+)/.exec(log);
      assert.ok(done !== null, `${target}: no DONE line:\n${log.slice(-2000)}`);
      assert.ok(Number(done[1]) > 1000, `${target}: only ${done[1]} runs`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
});
