/**
 * The delegation of mesh-e2e.test.ts across network namespaces: a Minimal
 * node on the qemu-rv32 virtual board, a Community and a Gateway node, each
 * `mhr node start --mdns` in its own namespace (joined through a bridge
 * namespace), with no bootstrap address: they find each other by mDNS alone.
 * The control sockets are files in the data directories, so the test talks
 * to the nodes from the host. Skipped, with the reason, where namespaces
 * cannot be created (not root, no iproute2).
 */
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { controlCall } from "../../src/node/control-client.ts";
import type { NodeStatus } from "../../src/node/mesh-node.ts";
import { netnsSupport, NetnsTopology } from "./netns.ts";
import { ProcessGroup } from "./processes.ts";
import { ROOT, tempDir } from "./helpers.ts";

const support = netnsSupport();
if (!support.ok) console.warn(`netns delegation test skipped: ${support.reason}`);

const run = promisify(execFile);
const MHR = join(ROOT, "bin/mhr.mjs");
const ROLES = [
  { name: "gateway", flags: ["--profile", "gateway", "--engine", "as", "--price", "1500"] },
  { name: "community", flags: ["--profile", "community", "--engine", "as", "--price", "1000"] },
  { name: "minimal", flags: ["--profile", "minimal", "--engine", "board:qemu-rv32"] },
] as const;

async function mhr(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(process.execPath, [MHR, ...args], { cwd: ROOT, timeout: 180_000 });
    return { ...r, code: 0 };
  } catch (e) {
    const x = e as { stdout: string; stderr: string; code: number };
    return { stdout: x.stdout, stderr: x.stderr, code: x.code };
  }
}

describe.skipIf(!support.ok)("delegation across network namespaces (mDNS discovery only, no bootstrap)", () => {
  let topo: NetnsTopology | undefined;
  const group = new ProcessGroup();
  const dirs = ROLES.map((r) => tempDir(`mhr-netns-${r.name}-`));

  afterAll(async () => {
    await group.killAll();
    await topo?.destroy();
    if (topo) expect(topo.remaining()).toEqual([]);
    expect(group.running()).toEqual([]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }, 60_000);

  it("a Minimal node finds the providers by mDNS and delegates to them; the bytes are a local run's", { timeout: 400_000 }, async () => {
    topo = NetnsTopology.create(ROLES.length);
    const procs = ROLES.map((r, i) =>
      group.start(r.name, "ip", ["netns", "exec", topo!.nodes[i].ns, process.execPath, MHR, "node", "start", "--data", dirs[i], ...r.flags, "--listen", "/ip4/0.0.0.0/tcp/4001", "--mdns", "--advert-interval", "2000"], { cwd: ROOT }),
    );
    const ids = await Promise.all(procs.map(async (p) => (await p.waitFor(/node ([0-9a-f]{32})/, 180_000))[1]));
    await Promise.all(procs.map((p) => p.waitFor(/control /, 180_000)));
    const [gatewayId, communityId, minimalId] = ids;
    const minimalDir = dirs[2];
    let s: NodeStatus;
    for (let i = 0; ; i++) {
      s = (await controlCall(minimalDir, "status", { journal: 10 })) as NodeStatus;
      const held = new Set(s.adverts.map((a) => a.nodeId));
      if (held.has(gatewayId) && held.has(communityId)) break;
      if (i > 900) throw new Error(`the Minimal node never found the providers by mDNS: ${JSON.stringify(s.adverts)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // Every address a node gives out is its namespace's own: no loopback, no host address.
    for (const [i, d] of dirs.entries()) {
      const st = (await controlCall(d, "status", { journal: 0 })) as NodeStatus;
      expect(st.addresses.length).toBeGreaterThan(0);
      for (const a of st.addresses) expect(a).toMatch(new RegExp(`^/ip4/${topo.nodes[i].address.replace(/\./g, "\\.")}/tcp/4001/p2p/`));
    }

    const args = ["examples/node/sum.masm", "--fn", "sum", "--args", "2500"];
    const sub = await mhr(["node", "submit", ...args, "--data", minimalDir, "--json"]);
    expect(sub.code, sub.stderr).toBe(0);
    const out = JSON.parse(sub.stdout) as Record<string, unknown> & { ranOn: string; providers: string[] };
    expect(out.ranOn).toBe("delegated");
    expect(out.providers).toEqual([communityId]);
    const local = JSON.parse((await mhr(["run", ...args, "--sender", minimalId, "--self", minimalId, "--json"])).stdout) as Record<string, unknown>;
    const { jobId, ranOn, providers, proof, cost, outcome, ...result } = out;
    void jobId; void ranOn; void providers; void proof; void cost; void outcome;
    expect(result).toEqual(local);

    const wasmArgs = ["examples/wasm/bin/gcounter.wasm", "--fn", "increment", "--args", "9"];
    const w = await mhr(["node", "submit", ...wasmArgs, "--proof", "redundant:2-of-2", "--data", minimalDir, "--json"]);
    expect(w.code, w.stderr).toBe(0);
    const wout = JSON.parse(w.stdout) as { ranOn: string; providers: string[]; result: string; resultHash: string };
    expect(wout.ranOn).toBe("delegated");
    expect(new Set(wout.providers)).toEqual(new Set([gatewayId, communityId]));
    const wlocal = JSON.parse((await mhr(["wasm", "run", ...wasmArgs, "--sender", minimalId, "--self", minimalId, "--json"])).stdout) as { result: string; resultHash: string };
    expect(wout.result).toBe(wlocal.result);
    expect(wout.resultHash).toBe(wlocal.resultHash);

    const after = (await controlCall(minimalDir, "status", { journal: 10 })) as NodeStatus;
    expect(after.journal.filter((j) => j.ranOn === "delegated")).toHaveLength(2);
    expect(after.channels.reduce((k, c) => k + c.payments, 0)).toBe(3);
  });
});
