// Where the installed protochan package lives: the CLI finds the schemas, the
// C library and the generated headers it ships relative to it, wherever npm
// put it (node_modules, a workspace, a global install).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "protochan") return dir;
    const up = dirname(dir);
    if (up === dir) {
      // A broken install, not a caller's mistake: the CLI says so and stops.
      process.stderr.write(`protochan: cannot find the package's own package.json above ${fileURLToPath(import.meta.url)}\n`);
      process.exit(2);
    }
    dir = up;
  }
}
