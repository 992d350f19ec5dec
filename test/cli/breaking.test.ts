// `protochan breaking`, run as the real command (node + tsx on src/cli/main.ts) in a project laid
// out as `protochan init` writes it: buf.yaml with the user's module `proto` and protochan's own
// schemas under node_modules/protochan (here a link to this repository). Each fixture under
// fixtures/breaking/ is one change to baseline/; against a directory and against a git ref.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { root } from "../c-layout/c-build.js";

const fixtures = join(root, "test", "cli", "fixtures", "breaking");
const main = join(root, "src", "cli", "main.ts");
const tsx = import.meta.resolve("tsx");

const BUF_YAML = `version: v2
modules:
  - path: proto
  - path: node_modules/protochan/schema
`;

/** A project whose proto/ is the fixture's. */
function project(parent: string, name: string, fixture: string): string {
  const dir = join(parent, name);
  mkdirSync(join(dir, "node_modules"), { recursive: true });
  symlinkSync(root, join(dir, "node_modules", "protochan"), "junction");
  writeFileSync(join(dir, "buf.yaml"), BUF_YAML);
  cpSync(join(fixtures, fixture, "proto"), join(dir, "proto"), { recursive: true });
  return dir;
}

async function protochan(cwd: string, args: readonly string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--conditions=source", "--import", tsx, main, ...args], {
      cwd,
      timeout: 60_000,
      encoding: "utf8",
    });
    return { status: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== "number") throw err;
    return { status: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** [location, a pattern its message must match] per expected line of output. */
type Expected = readonly (readonly [string, RegExp])[];

function assertViolations(stdout: string, expected: Expected): void {
  const lines = stdout.trim() === "" ? [] : stdout.trim().split("\n");
  assert.equal(lines.length, expected.length, `expected ${expected.length} violations, got:\n${stdout}`);
  expected.forEach(([location, pattern], i) => {
    const line = lines[i] ?? "";
    assert.ok(line.startsWith(`${location}: `), `line ${i + 1} should be at ${location}: ${line}`);
    assert.match(line.slice(location.length + 2), pattern);
  });
}

const FILE = "proto/shop/v1/shop.proto";

const CASES: readonly { fixture: string; expected: Expected }[] = [
  {
    fixture: "field-retyped",
    expected: [[`${FILE}:31:3`, /^Field "2" with name "quantity" on message "Order" changed type from "int64" to "string"/]],
  },
  {
    fixture: "field-number-reused",
    expected: [[`${FILE}:27:1`, /^Previously present reserved range "\[3\]" on message "Order" is missing values: \[3\] were removed\.$/]],
  },
  {
    fixture: "c-member-reordered",
    expected: [
      [`${FILE}:13:3`, /^shop\.v1\.Tick: C member bid was reordered \(offset 8 -> 12\)/],
      [`${FILE}:14:3`, /^shop\.v1\.Tick: C member ask was reordered \(offset 12 -> 8\)/],
    ],
  },
  {
    fixture: "c-grown-without-bump",
    expected: [
      [
        `${FILE}:8:1`,
        /^shop\.v1\.Tick: its size changed from 32 to 40 bytes but \(protochan\.v1\.message\)\.layout_version is still 1; bump it to 2$/,
      ],
    ],
  },
  {
    // Venue appended a member with its own bump, but Tick embeds it by value: Tick's member changed size.
    fixture: "c-nested-grown",
    expected: [
      [`${FILE}:15:3`, /^shop\.v1\.Tick: C member venue changed size from shop_v1_Venue \(12 bytes\) to shop_v1_Venue \(16 bytes\)/],
    ],
  },
  { fixture: "optional-field-added", expected: [] },
  { fixture: "c-appended-with-bump", expected: [] },
];

test("protochan breaking against a directory: each change caught at its location, compatible ones accepted", {
  timeout: 120_000,
}, async (t) => {
  const work = mkdtempSync(join(tmpdir(), "breaking-"));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const baseline = project(work, "baseline", "baseline");
  for (const { fixture, expected } of CASES) {
    await t.test(fixture, async () => {
      const dir = project(work, fixture, fixture);
      const r = await protochan(dir, ["breaking", "--against", baseline]);
      assertViolations(r.stdout, expected);
      assert.equal(r.status, expected.length === 0 ? 0 : 1, r.stderr);
      assert.equal(r.stderr, "");
    });
  }
});

test("protochan breaking against a git ref: the old tree comes from git, protochan's schemas from the package", {
  timeout: 60_000,
}, async (t) => {
  const work = mkdtempSync(join(tmpdir(), "breaking-git-"));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const dir = project(work, "repo", "baseline");
  writeFileSync(join(dir, ".gitignore"), "node_modules/\n");
  const git = (...args: string[]) => {
    const r = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 0, `git ${args.join(" ")}: ${r.stderr}`);
  };
  git("init", "-q", "-b", "main");
  git("add", ".");
  git("commit", "-q", "-m", "baseline");
  rmSync(join(dir, "proto"), { recursive: true });
  cpSync(join(fixtures, "c-member-reordered", "proto"), join(dir, "proto"), { recursive: true });

  const r = await protochan(dir, ["breaking", "--against", "main"]);
  assertViolations(r.stdout, CASES.find((c) => c.fixture === "c-member-reordered")?.expected ?? []);
  assert.equal(r.status, 1, r.stderr);

  git("commit", "-q", "-am", "reorder");
  assert.equal((await protochan(dir, ["breaking", "--against", "HEAD"])).status, 0, "no change against itself");
  const bad = await protochan(dir, ["breaking", "--against", "no-such-ref"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--against no-such-ref: not a directory, nor a commit/);
});
