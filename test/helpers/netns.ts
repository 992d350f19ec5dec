// Two "hosts" on this machine: network namespaces joined by a veth pair,
// made by the test (as root) with unique names and removed after it. A child
// runs on a host through `ip netns exec`.
import { execFileSync } from "node:child_process";
import type { TestContext } from "node:test";

export interface Host {
  readonly ns: string;
  readonly ip: string;
  /** The command prefix that runs a program on this host. */
  readonly exec: readonly string[];
}

let made = 0;

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: "pipe", timeout: 10_000 });
}

/**
 * Makes hosts a (10.77.0.1) and b (10.77.0.2) for this test, removed in
 * t.after even when the test fails; undefined (and the test skipped, saying
 * why) when namespaces cannot be made here.
 */
export function twoHosts(t: TestContext): { a: Host; b: Host } | undefined {
  const id = `pc${process.pid.toString(36)}${(++made).toString(36)}`;
  const [nsA, nsB] = [`${id}a`, `${id}b`];
  t.after(() => {
    for (const ns of [nsA, nsB]) {
      try {
        ip("netns", "del", ns); // takes its end of the veth pair with it
      } catch {
        // not made
      }
    }
  });
  try {
    ip("netns", "add", nsA);
    ip("netns", "add", nsB);
    ip("link", "add", `${id}x`, "type", "veth", "peer", "name", `${id}y`);
    ip("link", "set", `${id}x`, "netns", nsA);
    ip("link", "set", `${id}y`, "netns", nsB);
    ip("-n", nsA, "addr", "add", "10.77.0.1/30", "dev", `${id}x`);
    ip("-n", nsB, "addr", "add", "10.77.0.2/30", "dev", `${id}y`);
    for (const [ns, dev] of [
      [nsA, `${id}x`],
      [nsB, `${id}y`],
    ] as const) {
      ip("-n", ns, "link", "set", dev, "up");
      ip("-n", ns, "link", "set", "lo", "up");
    }
  } catch (err) {
    t.skip(`cannot make network namespaces here (needs root and iproute2): ${(err as Error).message.split("\n")[0]}`);
    return undefined;
  }
  const host = (ns: string, addr: string): Host => ({ ns, ip: addr, exec: ["ip", "netns", "exec", ns] });
  return { a: host(nsA, "10.77.0.1"), b: host(nsB, "10.77.0.2") };
}
