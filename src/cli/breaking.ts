// `protochan breaking --against <git ref or directory>`: buf's WIRE breaking
// rules on the user's modules, plus protochan's C-layout rules
// (c-layout-diff.ts). Each side is built into a buf image of the user's
// modules only, so protochan's own schemas (a second module of the workspace
// `protochan init` writes, usually under node_modules/ and so never in git)
// are imports: never checked, and supplied from the installed package when
// the old side lacks them.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, posix, resolve } from "node:path";
import { createFileRegistry, fromBinary, type FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { cLayoutViolations } from "./c-layout-diff.js";
import { packageRoot } from "./package-root.js";

export interface BreakingOptions {
  /** The project folder: the buf workspace of the new version (default: the current directory). */
  readonly dir: string;
  /** The old version: a directory (relative to dir) or a git ref of dir's repository. */
  readonly against: string;
}

/** One breaking change, at a path relative to dir (like buf's own output). */
export interface Violation {
  readonly path: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly message: string;
}

/** Something that stopped the check itself (not a breaking change): the CLI prints it and exits with 2. */
export class BreakingCheckError extends Error {
  override readonly name = "BreakingCheckError";
}

/** buf's WIRE rules, whatever the user's buf.yaml says (it need not have a breaking: section). */
const WIRE_CONFIG = JSON.stringify({ version: "v2", breaking: { use: ["WIRE"] } });

/** `file:line:column: message`, the form compilers and buf print, which editors and CI annotate. */
export function formatViolation(v: Violation): string {
  return `${v.path}:${v.line ?? 1}:${v.column ?? 1}: ${v.message}`;
}

export function breaking(options: BreakingOptions): Violation[] {
  const dir = resolve(options.dir);
  const buf = findBuf(dir);
  const tmp = mkdtempSync(join(tmpdir(), "protochan-breaking-"));
  try {
    const modules = listModules(buf, dir);
    const own = modules.filter((m) => isProtochanSchema(join(dir, m)));
    const user = modules.filter((m) => !own.includes(m));
    const old = againstWorkspace(buf, dir, options.against, own, tmp);
    const oldModules = new Set(listModules(buf, old));
    const out: Violation[] = [];
    user.forEach((module, i) => {
      // A module that is new has nothing to break.
      if (!oldModules.has(module) || !existsSync(join(old, module))) return;
      const curImage = build(buf, dir, module, join(tmp, `new-${i}.binpb`));
      const oldImage = build(buf, old, module, join(tmp, `old-${i}.binpb`));
      const at = (file: string) => (module === "." ? file : posix.join(module.split("\\").join("/"), file));
      out.push(...bufViolations(buf, curImage, oldImage).map((v) => ({ ...v, path: at(v.path) })));
      const files = new Set(filesOf(readImage(curImage), join(dir, module)));
      for (const v of cLayoutViolations(readImage(oldImage), readImage(curImage), files)) {
        out.push({ path: at(v.file), line: v.line, column: v.column, message: v.message });
      }
    });
    return out.sort(
      (a, b) =>
        a.path.localeCompare(b.path) ||
        (a.line ?? 0) - (b.line ?? 0) ||
        (a.column ?? 0) - (b.column ?? 0) ||
        a.message.localeCompare(b.message),
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** buf from the project's node_modules (@bufbuild/buf), else protochan's, else `buf` on the PATH. */
function findBuf(dir: string): readonly string[] {
  for (const from of [join(dir, "package.json"), join(packageRoot(), "package.json")]) {
    try {
      const manifest = createRequire(from).resolve("@bufbuild/buf/package.json");
      const bin = join(dirname(manifest), "bin", "buf");
      if (existsSync(bin)) return [process.execPath, bin];
    } catch {
      // Not installed there.
    }
  }
  return ["buf"];
}

function run(cmd: readonly string[], args: readonly string[], cwd: string): { status: number; stdout: string; stderr: string } {
  const [exe, ...pre] = cmd;
  const r = spawnSync(exe ?? "", [...pre, ...args], { cwd, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error !== undefined) throw new BreakingCheckError(`cannot run ${exe}: ${r.error.message}`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function must(cmd: readonly string[], args: readonly string[], cwd: string): string {
  const r = run(cmd, args, cwd);
  if (r.status !== 0) {
    throw new BreakingCheckError(`${[cmd.at(-1), ...args].join(" ")} (in ${cwd}) failed:\n${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}

/** The module paths of the buf workspace in `dir`, as its buf.yaml names them (they need not exist). */
function listModules(buf: readonly string[], dir: string): string[] {
  return must(buf, ["config", "ls-modules", "--format", "json"], dir)
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => (JSON.parse(l) as { path: string }).path);
}

/** protochan's own schema module: the installed package's, or a copy of it. */
function isProtochanSchema(path: string): boolean {
  return (
    existsSync(path) &&
    (realpathSync(path) === realpathSync(join(packageRoot(), "schema")) || existsSync(join(path, "protochan", "v1", "options.proto")))
  );
}

/**
 * A directory holding the old version's buf workspace: `against` itself, or its tree at a git ref,
 * with protochan's schema module filled in from the installed package where the old side lacks it.
 */
function againstWorkspace(buf: readonly string[], dir: string, against: string, own: readonly string[], tmp: string): string {
  const asDir = resolve(dir, against);
  let old: string;
  let ours = false;
  if (existsSync(asDir) && statSync(asDir).isDirectory()) {
    old = asDir;
  } else {
    old = join(tmp, "against");
    extractGitTree(dir, against, old, tmp);
    ours = true;
  }
  const missing = listModules(buf, old).filter((m) => own.includes(m) && !existsSync(join(old, m)));
  if (missing.length === 0) return old;
  if (!ours) {
    // Never write into the user's directory: copy its workspace (config and modules) first.
    const copy = join(tmp, "against");
    mkdirSync(copy);
    for (const f of ["buf.yaml", "buf.lock"]) if (existsSync(join(old, f))) cpSync(join(old, f), join(copy, f));
    for (const m of listModules(buf, old)) {
      if (existsSync(join(old, m))) cpSync(join(old, m), join(copy, m), { recursive: true });
    }
    old = copy;
  }
  for (const m of missing) cpSync(join(packageRoot(), "schema"), join(old, m), { recursive: true });
  return old;
}

/** The tree of `ref` at the folder of dir inside its repository, written to `into`. */
function extractGitTree(dir: string, ref: string, into: string, tmp: string): void {
  const git = ["git"];
  if (ref.startsWith("-") || run(git, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], dir).status !== 0) {
    throw new BreakingCheckError(`--against ${ref}: not a directory, nor a commit of the git repository at ${dir}`);
  }
  const prefix = must(git, ["rev-parse", "--show-prefix"], dir).trim();
  const tar = join(tmp, "against.tar");
  must(git, ["archive", "--format=tar", "-o", tar, `${ref}:${prefix}`], dir);
  mkdirSync(into);
  must(["tar"], ["-xf", tar, "-C", into], dir);
}

/** Builds one module of the workspace in `dir` into a buf image (source info kept, imports included and marked). */
function build(buf: readonly string[], dir: string, module: string, out: string): string {
  must(buf, ["build", module, "-o", out], dir);
  return out;
}

/** An image is a FileDescriptorSet on the wire (buf's extra fields are skipped). */
function readImage(path: string): FileRegistry {
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(path)));
}

/** Names of the files of the image that belong to the module (the rest are its imports). */
function filesOf(registry: FileRegistry, moduleDir: string): string[] {
  return [...registry.files].map((f) => f.proto.name).filter((name) => existsSync(join(moduleDir, name)));
}

interface BufJsonViolation {
  path?: string;
  start_line?: number;
  start_column?: number;
  message?: string;
}

function bufViolations(buf: readonly string[], cur: string, old: string): Violation[] {
  const r = run(
    buf,
    ["breaking", cur, "--against", old, "--config", WIRE_CONFIG, "--exclude-imports", "--error-format", "json"],
    dirname(cur),
  );
  // 100: violations found.
  if (r.status !== 0 && r.status !== 100) throw new BreakingCheckError(`buf breaking failed:\n${(r.stderr || r.stdout).trim()}`);
  return r.stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as BufJsonViolation)
    .map((v) => ({ path: v.path ?? "", line: v.start_line, column: v.start_column, message: v.message ?? "" }));
}
