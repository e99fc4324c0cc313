/**
 * Network namespaces for multi-host tests on one machine (root and iproute2
 * needed; `netnsSupport()` says why not otherwise).
 *
 *   bridge namespace  <name>-br : bridge br0, one port per node
 *   node namespaces   <name>-n0 … : lo + one veth (v0 …) to the bridge,
 *                                   10.213.0.(10+i)/24, route 224.0.0.0/4 on the veth
 *
 * Every device is created directly inside its namespace (`ip link add …
 * netns …`), so nothing is ever added to, or multicast on, the host's own
 * interfaces. Names carry the process id and a random tag; `destroy()`
 * kills what runs inside and deletes the namespaces (deleting a namespace
 * deletes its veth ends), and an exit hook does the same if a test dies.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { randomBytes } from "node:crypto";

export type NetnsSupport = { ok: true } | { ok: false; reason: string };

let support: NetnsSupport | undefined;

function ip(args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Whether this process can create network namespaces here (checked once, by creating and deleting one). */
export function netnsSupport(): NetnsSupport {
  if (support) return support;
  if (process.platform !== "linux") return (support = { ok: false, reason: "network namespaces need Linux" });
  if (process.getuid?.() !== 0) return (support = { ok: false, reason: "network namespaces need root (run the tests as root to include them)" });
  try {
    ip(["-V"]);
  } catch {
    return (support = { ok: false, reason: "iproute2 (`ip`) is not installed (scripts/setup.sh installs it)" });
  }
  const probe = `mhrprobe-${process.pid}-${randomBytes(3).toString("hex")}`;
  try {
    ip(["netns", "add", probe]);
    ip(["netns", "del", probe]);
  } catch (err) {
    return (support = { ok: false, reason: `cannot create a network namespace here: ${(err as Error).message.split("\n")[0]}` });
  }
  return (support = { ok: true });
}

export interface NetnsNode {
  /** The namespace's name (for `ip netns exec`). */
  ns: string;
  /** Its address on the shared segment. */
  address: string;
}

export class NetnsTopology {
  readonly nodes: NetnsNode[] = [];
  private readonly bridge: string;
  private readonly children = new Set<ChildProcess>();
  private destroyed = false;
  private readonly onExit = () => this.destroySync();

  private constructor(
    readonly name: string,
    count: number,
  ) {
    this.bridge = `${name}-br`;
    for (let i = 0; i < count; i++) this.nodes.push({ ns: `${name}-n${i}`, address: `10.213.0.${10 + i}` });
  }

  /** Builds `count` node namespaces joined through a bridge namespace. */
  static create(count: number): NetnsTopology {
    if (count < 1 || count > 200) throw new RangeError("1..200 namespaces");
    const t = new NetnsTopology(`mhr${process.pid % 100000}${randomBytes(2).toString("hex")}`, count);
    process.once("exit", t.onExit);
    try {
      ip(["netns", "add", t.bridge]);
      t.exec(t.bridge, ["ip", "link", "set", "lo", "up"]);
      t.exec(t.bridge, ["ip", "link", "add", "br0", "type", "bridge", "mcast_snooping", "0"]);
      t.exec(t.bridge, ["ip", "link", "set", "br0", "up"]);
      t.nodes.forEach((n, i) => {
        ip(["netns", "add", n.ns]);
        ip(["link", "add", `v${i}`, "netns", n.ns, "type", "veth", "peer", "name", `b${i}`, "netns", t.bridge]);
        t.exec(t.bridge, ["ip", "link", "set", `b${i}`, "master", "br0"]);
        t.exec(t.bridge, ["ip", "link", "set", `b${i}`, "up"]);
        t.exec(n.ns, ["ip", "link", "set", "lo", "up"]);
        t.exec(n.ns, ["ip", "addr", "add", `${n.address}/24`, "dev", `v${i}`]);
        t.exec(n.ns, ["ip", "link", "set", `v${i}`, "up"]);
        // Multicast (mDNS) leaves through the veth; without a route the namespace has nowhere to send 224.0.0.251.
        t.exec(n.ns, ["ip", "route", "add", "224.0.0.0/4", "dev", `v${i}`]);
      });
    } catch (err) {
      t.destroySync();
      throw err;
    }
    return t;
  }

  /** Runs a command inside a namespace and returns its stdout. */
  exec(ns: string, argv: string[]): string {
    return ip(["netns", "exec", ns, ...argv]);
  }

  /** Starts a long-running process inside a namespace; `destroy()` kills it if it is still running. */
  spawn(ns: string, argv: string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn("ip", ["netns", "exec", ns, ...argv], { stdio: ["ignore", "pipe", "pipe"], ...options });
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));
    return child;
  }

  /** Kills every process started here and in the namespaces, then deletes the namespaces. Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    for (const c of this.children) c.kill("SIGTERM");
    await Promise.all(
      [...this.children].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const force = setTimeout(() => c.kill("SIGKILL"), 3000);
            c.once("exit", () => {
              clearTimeout(force);
              resolve();
            });
          }),
      ),
    );
    this.destroySync();
  }

  private destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.removeListener("exit", this.onExit);
    for (const c of this.children) c.kill("SIGKILL");
    for (const ns of [...this.nodes.map((n) => n.ns), this.bridge]) {
      try {
        // Anything still running inside (a grandchild that outlived its parent) goes with the namespace.
        for (const pid of ip(["netns", "pids", ns]).split(/\s+/).filter(Boolean)) {
          try {
            process.kill(Number(pid), "SIGKILL");
          } catch {
            // already gone
          }
        }
      } catch {
        // namespace never created
      }
      try {
        ip(["netns", "del", ns]);
      } catch {
        // never created, or already deleted
      }
    }
  }

  /** Namespaces of this topology that still exist (tests check it is empty after `destroy`). */
  remaining(): string[] {
    const listed = ip(["netns", "list"]).split("\n").map((l) => l.split(" ")[0]);
    return listed.filter((n) => n.startsWith(`${this.name}-`));
  }
}
