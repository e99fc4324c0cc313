/**
 * The README's three-terminal delegation, through the real CLI on libp2p
 * over loopback: a Gateway, a Community and a Minimal node; `mhr node submit`
 * on the Minimal node prints exactly what `mhr run` / `mhr wasm run` print for
 * the same job, plus where it ran. Every process is stopped at the end.
 */
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcessGroup, type Managed } from "./processes.ts";
import { ROOT, tempDir } from "./helpers.ts";

const run = promisify(execFile);
const MHR = join(ROOT, "bin/mhr.mjs");
const group = new ProcessGroup();
const dirs = { gateway: tempDir(), community: tempDir(), minimal: tempDir() };
const procs: Record<string, Managed> = {};
let minimalId = "";

async function mhr(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(process.execPath, [MHR, ...args], { cwd: ROOT, timeout: 120_000 });
    return { ...r, code: 0 };
  } catch (e) {
    const x = e as { stdout: string; stderr: string; code: number };
    return { stdout: x.stdout, stderr: x.stderr, code: x.code };
  }
}

beforeAll(async () => {
  procs.gateway = group.start("gateway", process.execPath, [MHR, "node", "start", "--data", dirs.gateway, "--profile", "gateway", "--advert-interval", "2000"], { cwd: ROOT });
  const [, addr] = await procs.gateway.waitFor(/listening (\S+)/, 90_000);
  procs.community = group.start("community", process.execPath, [MHR, "node", "start", "--data", dirs.community, "--profile", "community", "--bootstrap", addr, "--advert-interval", "2000"], { cwd: ROOT });
  procs.minimal = group.start("minimal", process.execPath, [MHR, "node", "start", "--data", dirs.minimal, "--profile", "minimal", "--engine", "reference", "--bootstrap", addr, "--advert-interval", "2000"], { cwd: ROOT });
  minimalId = (await procs.minimal.waitFor(/node ([0-9a-f]{32})/, 90_000))[1];
  await procs.community.waitFor(/listening/, 90_000);
  // Until the Minimal node holds both providers' adverts.
  for (let i = 0; i < 360; i++) {
    const s = JSON.parse((await mhr(["node", "status", "--data", dirs.minimal, "--json"])).stdout || "{}") as { adverts?: unknown[] };
    if ((s.adverts?.length ?? 0) >= 2) break;
    await new Promise((r) => setTimeout(r, 500));
  }
}, 300_000);

afterAll(async () => {
  for (const d of Object.values(dirs)) await mhr(["node", "stop", "--data", d]);
  await Promise.all(Object.values(procs).map((p) => p.exited.then(() => undefined, () => undefined)));
  await group.killAll();
  expect(group.running()).toEqual([]);
  for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });
}, 60_000);

describe("mhr node (three nodes on loopback)", () => {
  it("a job above the Minimal cap: the same output as mhr run, plus where it ran", async () => {
    const sub = await mhr(["node", "submit", "examples/node/sum.masm", "--fn", "sum", "--args", "1000", "--data", dirs.minimal]);
    expect(sub.code, sub.stderr).toBe(0);
    const local = await mhr(["run", "examples/node/sum.masm", "--fn", "sum", "--args", "1000", "--sender", minimalId, "--self", minimalId]);
    const [block, rest] = [sub.stdout.split("\nran_on")[0], sub.stdout.split("\nran_on")[1]];
    expect(block.trim()).toBe(local.stdout.trim());
    expect(rest).toMatch(/^\s+delegated [0-9a-f]{32}/);
    expect(sub.stdout).toMatch(/proof\s+result-hash/);
  }, 120_000);

  it("a WASM Light contract, redundant 2-of-2: the same output as mhr wasm run", async () => {
    const args = ["examples/wasm/bin/gcounter.wasm", "--fn", "increment", "--args", "4"];
    const sub = await mhr(["node", "submit", "examples/wasm/bin/gcounter.wasm", "--fn", "increment", "--args", "4", "--proof", "redundant:2-of-2", "--data", dirs.minimal, "--json"]);
    expect(sub.code, sub.stderr).toBe(0);
    const out = JSON.parse(sub.stdout) as { ranOn: string; providers: string[]; resultHash: string; result: string };
    expect(out.ranOn).toBe("delegated");
    expect(out.providers).toHaveLength(2);
    const local = JSON.parse((await mhr(["wasm", "run", ...args, "--sender", minimalId, "--self", minimalId, "--json"])).stdout) as { resultHash: string; result: string };
    expect(out.result).toBe(local.result);
    expect(out.resultHash).toBe(local.resultHash);
  }, 300_000);

  it("status shows peers, adverts, channels, reputation and the journal; errors are one line", async () => {
    const s = JSON.parse((await mhr(["node", "status", "--data", dirs.minimal, "--json"])).stdout) as { peers: string[]; adverts: unknown[]; channels: { payments: number }[]; reputation: { score: number }[]; journal: { ranOn: string }[] };
    expect(s.peers.length).toBeGreaterThan(0);
    expect(s.adverts.length).toBeGreaterThanOrEqual(2);
    expect(s.channels.reduce((n, c) => n + c.payments, 0)).toBeGreaterThanOrEqual(3);
    expect(s.reputation.every((r) => r.score > 5000)).toBe(true);
    expect(s.journal.map((j) => j.ranOn)).toEqual(["delegated", "delegated"]);
    const text = (await mhr(["node", "status", "--data", dirs.minimal])).stdout;
    expect(text).toMatch(/^node\s+[0-9a-f]{32}/);
    const bad = await mhr(["node", "submit", "examples/node/sum.masm", "--fn", "nope", "--data", join(dirs.minimal, "missing")]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toMatch(/^mhr: error: no node is running/);
  }, 120_000);
});
