// Loaded into every test file's process (see the "test" script): points
// TMPDIR at a fresh directory for this file and its children, and fails the
// file if a protochan-* directory is still in it when the process exits,
// so a test that leaks a server's private directory is caught. Only what
// this run created is counted.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = mkdtempSync(join(tmpdir(), "pc-test-"));
process.env.TMPDIR = root;

/** protochan-* directories under `dir`, one level of per-child directories deep. */
function leftovers(dir, depth) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    if (entry.name.startsWith("protochan-")) found.push(path);
    else if (depth > 0) found.push(...leftovers(path, depth - 1));
  }
  return found;
}

// The library's own exit handler (it removes what is still open) runs before this one.
process.once("exit", check);

function check() {
  const leaked = leftovers(root, 1);
  rmSync(root, { recursive: true, force: true });
  if (leaked.length > 0) {
    process.stderr.write(`leaked ${leaked.length} private director${leaked.length === 1 ? "y" : "ies"}:\n  ${leaked.join("\n  ")}\n`);
    process.exitCode = 1;
  }
}
