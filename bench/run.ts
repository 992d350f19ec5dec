// `npm run bench`: every workload in bench/workloads/, protochan side by side
// with raw Node `net` (4-byte little-endian length prefix) over Unix domain
// sockets, two processes each (this one and bench/peer.ts). Prints the results
// and writes them to bench/results.md. Reports timings, asserts none.
//
//   npm run bench [-- --only w1,w3] [--repeat N] [--scale 0.1] [--out file.md | --no-write]
//
// --repeat: runs per measurement (interleaved protochan/raw; the median is
// reported, every run is listed). --scale: message counts × this, for a quick
// smoke run (its numbers are not comparable).
//
// Profiling: `node --cpu-prof --conditions=source --import tsx bench/run.ts --only w2`
// profiles this process; BENCH_PEER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"
// adds node options to every peer process.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Row, Workload } from "./harness.js";
import { workloads } from "./workloads/index.js";

const { values: args } = parseArgs({
  options: {
    only: { type: "string" },
    repeat: { type: "string", default: "3" },
    scale: { type: "string", default: "1" },
    out: { type: "string", default: fileURLToPath(new URL("results.md", import.meta.url)) },
    "no-write": { type: "boolean", default: false },
  },
});

const repeat = Number(args.repeat);
const scale = Number(args.scale);
if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, got ${args.repeat}`);
if (!(scale > 0 && scale <= 1)) throw new Error(`--scale must be in (0, 1], got ${args.scale}`);
const only = args.only?.split(",").map((s) => s.trim().toLowerCase());
const selected: Workload[] = only === undefined ? [...workloads] : workloads.filter((w) => only.includes(w.id));
if (selected.length === 0) throw new Error(`no workload matches --only ${args.only}; have ${workloads.map((w) => w.id).join(", ")}`);

// ---- formatting ----

function fmtValue(v: number, unit: string): string {
  switch (unit) {
    case "µs":
      return `${v.toFixed(1)} µs`;
    case "GB/s":
      return `${v.toFixed(2)} GB/s`;
    default:
      // Plain rates of things (msgs/s, packets/s, calls/s): in millions.
      return /^[a-z]+\/s$/.test(unit) ? `${(v / 1e6).toFixed(3)} M ${unit}` : `${v.toPrecision(4)} ${unit}`;
  }
}

function fmtTarget(row: Row): { target: string; status: string } {
  const t = row.target;
  if (t === undefined) return { target: "", status: "" };
  const ratio = row.protochan / row.raw;
  const actual = t.kind === "ratio" ? ratio : row.protochan;
  const sign = t.op === "<=" ? "≤" : "≥";
  const target = t.kind === "ratio" ? `${sign} ${t.value}× raw` : `${sign} ${fmtValue(t.value, row.unit)}`;
  const met = t.op === "<=" ? actual <= t.value : actual >= t.value;
  if (met) return { target, status: "met" };
  // How much better protochan has to get: a factor on its own figure.
  const factor = t.op === "<=" ? actual / t.value : t.value / actual;
  return { target, status: `not met: needs ${factor.toFixed(2)}× ${row.better === "lower" ? "lower" : "higher"}` };
}

function table(rows: Row[]): string {
  const head = ["Workload", "protochan", "raw net", "ratio protochan / raw", "better", "target", "status"];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const r of rows) {
    const ratio = r.protochan / r.raw;
    const { target, status } = fmtTarget(r);
    const raw = fmtValue(r.raw, r.unit) + (r.rawLabel === undefined ? "" : ` (${r.rawLabel})`);
    const better = r.better === "lower" ? "lower is better" : "higher is better";
    lines.push(`| ${[r.label, fmtValue(r.protochan, r.unit), raw, `${ratio.toFixed(2)}×`, better, target, status].join(" | ")} |`);
  }
  return lines.join("\n");
}

function runsList(rows: Row[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    if (r.samples === undefined || r.samples.protochan.length < 2) continue;
    const list = (xs: number[]) => xs.map((x) => fmtValue(x, r.unit)).join(", ");
    out.push(`- ${r.label}: protochan ${list(r.samples.protochan)}; ${r.rawLabel ?? "raw net"} ${list(r.samples.raw)}`);
  }
  return out;
}

// ---- run ----

const cpus = os.cpus();
const machine = {
  node: process.version,
  cpu: cpus[0]?.model.trim() ?? "unknown",
  cores: cpus.length,
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
};
/** Which protochan was measured: the commit, and whether src/ or generated/ differ from it. */
function sourceVersion(): string {
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  try {
    const commit = git("rev-parse", "--short", "HEAD");
    const dirty = git("--no-optional-locks", "status", "--porcelain", "--", "src", "generated") !== ""; // takes no index lock
    return `commit ${commit}${dirty ? ", with uncommitted changes in src/ or generated/" : ", src/ and generated/ as committed"}`;
  } catch {
    return "unknown (not a git checkout)";
  }
}
const source = sourceVersion();
const started = new Date();
const loadAtStart = os.loadavg()[0]!;
const passArgs = process.argv.slice(2);
const npmCommand =
  process.env.npm_lifecycle_event === "bench" ? `npm run bench${passArgs.length > 0 ? ` -- ${passArgs.join(" ")}` : ""}` : undefined;
const nodeCommand = ["node", ...process.execArgv, "bench/run.ts", ...passArgs].join(" ");

const log = (line: string) => console.log(line);
log(`protochan benchmarks — node ${machine.node}, ${machine.cpu}, ${machine.cores} cores, ${started.toISOString()}`);
log(`repeat ${repeat}${scale !== 1 ? `, scale ${scale} (smoke run: counts reduced)` : ""}`);

const rows: Row[] = [];
const notes: string[] = [];
const t0 = performance.now();
for (const w of selected) {
  log(`\n${w.title}`);
  const ws = performance.now();
  rows.push(...(await w.run({ repeat, scale, log: (line) => log(line) })));
  notes.push(...(w.notes?.() ?? []));
  log(`  (${((performance.now() - ws) / 1000).toFixed(1)} s)`);
}
const elapsed = (performance.now() - t0) / 1000;

const md = [
  "# protochan benchmark results",
  "",
  "protochan vs raw Node `net` (each message a 4-byte little-endian length prefix and its body), both over Unix domain",
  "sockets between two processes on the same machine, measured in the same run. The ratio is protochan / raw: for",
  "latencies lower is better (below 1× protochan is faster), for throughputs higher is better (above 1× protochan is",
  `faster). Each figure is the median of ${repeat} run(s), protochan and raw interleaved. A report, not a test: nothing is asserted.`,
  "",
  table(rows),
  "",
  `- Command: \`${npmCommand ?? nodeCommand}\`${npmCommand !== undefined ? ` (runs \`${nodeCommand}\`)` : ""}`,
  `- protochan: ${source}`,
  `- Machine: node ${machine.node}, ${machine.cpu}, ${machine.cores} cores, ${machine.os}, ${machine.memory} RAM`,
  `- Date: ${started.toISOString()}; whole run ${elapsed.toFixed(0)} s; 1-minute load average ${loadAtStart.toFixed(2)} at the start, ` +
    `${os.loadavg()[0]!.toFixed(2)} at the end (${machine.cores} cores; above ~1, other work was competing for the CPUs)`,
  ...(scale !== 1 ? [`- Smoke run: message counts scaled by ${scale}; not comparable with full runs.`] : []),
  "",
  "## Method",
  "",
  ...notes.map((n) => `- ${n}`),
  "- Other processes on the machine (tests, builds) add noise; compare ratios from one run rather than absolute figures across runs.",
  ...(runsList(rows).length > 0 ? ["", "## Every run", "", ...runsList(rows)] : []),
  "",
].join("\n");

log(`\n${table(rows)}\n`);
log(`whole run: ${elapsed.toFixed(0)} s`);
if (!args["no-write"]) {
  writeFileSync(args.out, md);
  log(`written to ${args.out}`);
}
