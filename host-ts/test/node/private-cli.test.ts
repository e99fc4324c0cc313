/**
 * `mhr node submit --privacy split|shared|tee|split+shared|split+tee` as the
 * README runs it: three provider processes (`mhr node start --privacy
 * split,shared,tee`, the TEE on the REPLAY TEST DOUBLE) and the consumer's
 * own node, all `mhr node start` on loopback libp2p, started and stopped by
 * this file (the process group kills whatever is left, even when a case
 * fails). Each answer is compared with plaintext by the CLI (--json) and
 * checked again here.
 */
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { controlCall } from "../../src/node/control-client.ts";
import type { NodeStatus } from "../../src/node/mesh-node.ts";
import { ProcessGroup, type Managed } from "./processes.ts";
import { ROOT, tempDir } from "./helpers.ts";

const run = promisify(execFile);
const MHR = join(ROOT, "bin/mhr.mjs");
const SNP = "host-ts/test/fixtures/attestation/sev-snp/milan-virtee";
const group = new ProcessGroup();
const names = ["c", "p1", "p2", "p3"] as const;
type Name = (typeof names)[number];
const dirs = Object.fromEntries(names.map((n) => [n, tempDir(`mhr-priv-${n}-`)])) as Record<Name, string>;
const procs: Partial<Record<Name, Managed>> = {};
const ids: Partial<Record<Name, string>> = {};

const PROVIDER = ["--privacy", "split,shared,tee", "--tee-backend", "replay", "--tee-report", `${SNP}/report_milan.hex`, "--tee-endorsement", `${SNP}/vcek_milan.der`];

async function mhr(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(process.execPath, [MHR, ...args], { cwd: ROOT, timeout: 240_000 });
    return { ...r, code: 0 };
  } catch (e) {
    const x = e as { stdout: string; stderr: string; code: number };
    return { stdout: x.stdout, stderr: x.stderr, code: x.code };
  }
}

async function submit(args: string[]): Promise<Record<string, unknown>> {
  const r = await mhr(["node", "submit", "--data", dirs.c, "--json", ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

beforeAll(async () => {
  const start = (n: Name, bootstrap: string[] = []) => {
    procs[n] = group.start(n, process.execPath, [MHR, "node", "start", "--data", dirs[n], "--advert-interval", "2000", ...(n === "c" ? [] : PROVIDER), ...(bootstrap.length ? ["--bootstrap", ...bootstrap] : [])], { cwd: ROOT });
    return procs[n]!;
  };
  const listening = async (p: Managed) => (await p.waitFor(/listening (\S+)/, 120_000))[1];
  const first = await listening(start("p1"));
  const others = await Promise.all((["p2", "p3"] as const).map((n) => listening(start(n, [first]))));
  // The consumer dials all three: it then reaches each directly, so none is known only through another (PRIVATE.md §2.10).
  start("c", [first, ...others]);
  for (const n of names) {
    ids[n] = (await procs[n]!.waitFor(/node ([0-9a-f]{32})/, 120_000))[1];
    await procs[n]!.waitFor(/control /, 120_000);
  }
  for (let i = 0; ; i++) {
    const s = (await controlCall(dirs.c, "status", { journal: 0 })) as NodeStatus;
    if (["p1", "p2", "p3"].every((p) => s.adverts.some((a) => a.nodeId === ids[p as Name]))) break;
    if (i > 600) throw new Error("the consumer never held the three providers' adverts");
    await new Promise((r) => setTimeout(r, 200));
  }
}, 400_000);

afterAll(async () => {
  await group.killAll();
  expect(group.running()).toEqual([]);
  for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });
}, 60_000);

describe("mhr node submit --privacy on four loopback mhr node processes", () => {
  it("a provider says what it offers, and that its TEE is the REPLAY TEST DOUBLE", () => {
    expect(procs.p1!.stdout()).toMatch(/privacy split 10 µMHR, shared 20 µMHR, tee 15 µMHR/);
    expect(procs.p1!.stdout()).toMatch(/tee REPLAY TEST DOUBLE/);
    expect(procs.c!.stdout()).not.toMatch(/privacy /);
  });

  it("split: the classes of four test images equal the whole model's; paid 10 µMHR", async () => {
    const r = await submit(["--privacy", "split", "--image", "0-3"]);
    expect(r.sameClass).toBe(4);
    expect(r.maxLogitDiff as number).toBeLessThan(0.05);
    expect(r.cost).toBe("10");
    expect(r.labels).toEqual([7, 2, 1, 0]);
  }, 240_000);

  it("shared: the mean and a search over three providers, equal to plaintext; paid 3 × 20 µMHR", async () => {
    const mean = await submit(["--privacy", "shared", "--workload", "mean", "--values", "1,2,3,4,5", "--neighbourhood", "endpoint"]);
    expect(mean.answer as number).toBeCloseTo(3, 6);
    expect(mean.plaintext).toBe(3);
    expect((mean.providers as string[]).sort()).toEqual([ids.p1, ids.p2, ids.p3].sort());
    expect(mean.cost).toBe("60");
    const found = await submit(["--privacy", "shared", "--workload", "search", "--values", "42", "--list", "7,42,99", "--neighbourhood", "endpoint"]);
    expect(found.answer).toBe(true);
    // On one host, the default rule (one neighbourhood per host) finds no three independent providers.
    const r = await mhr(["node", "submit", "--data", dirs.c, "--privacy", "shared", "--workload", "sum", "--values", "1,2"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/NO_PROVIDER.*NOT_ENOUGH_NEIGHBOURHOODS/);
  }, 240_000);

  it("tee: the production policy refuses the replay; the pinned-replay test policy gets the whole model's answer", async () => {
    const refused = await mhr(["node", "submit", "--data", dirs.c, "--privacy", "tee", "--image", "7", "--tee-policy", "examples/private/tee-policy.json"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/PRIVATE_FAILED.*BINDING_MISMATCH/);
    const r = await submit(["--privacy", "tee", "--image", "7,8", "--tee-policy", "examples/private/tee-policy-replay.json"]);
    expect(r.sameClass).toBe(2);
    expect(r.maxLogitDiff as number).toBeLessThan(1e-6);
    expect(r.tee).toMatchObject({ platform: 1, keyBoundByHardware: false });
    expect(r.cost).toBe("15");
  }, 240_000);

  it("split+shared and split+tee: the same classes as the whole model", async () => {
    const s = (await controlCall(dirs.c, "status", { journal: 0 })) as NodeStatus;
    expect(s.adverts.filter((a) => a.privacy.some((x) => x.startsWith("shared:"))).map((a) => `${a.nodeId} ${a.score} ${a.expiresInMs}`)).toHaveLength(3);
    const ss = await submit(["--privacy", "split+shared", "--image", "0,1", "--neighbourhood", "endpoint"]);
    expect(ss.sameClass).toBe(2);
    expect(ss.maxLogitDiff as number).toBeLessThan(0.05);
    expect(ss.providers as string[]).toHaveLength(4);
    expect(ss.cost).toBe("70"); // 3 shareholders × 20 + the middle 10
    const st = await submit(["--privacy", "split+tee", "--image", "2,3", "--tee-policy", "examples/private/tee-policy-replay.json"]);
    expect(st.sameClass).toBe(2);
    expect(st.maxLogitDiff as number).toBeLessThan(0.05);
    expect(st.cost).toBe("15");
  }, 300_000);

  it("the providers were paid through their channels; the consumer's journal lists each private job", async () => {
    const s = (await controlCall(dirs.c, "status", { journal: 20 })) as NodeStatus;
    expect(s.channels.filter((c) => c.role === "payer").reduce((k, c) => k + c.payments, 0)).toBeGreaterThanOrEqual(11);
    expect(s.journal.map((j) => j.kind)).toEqual(expect.arrayContaining(["private:split", "private:shared", "private:tee", "private:split+shared", "private:split+tee"]));
  });
});
