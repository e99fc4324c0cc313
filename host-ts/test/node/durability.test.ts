/**
 * kill -9 at every point of a payment (docs/NODE.md §11.2) and at random
 * times: after a restart no acknowledged payment is lost, no channel
 * sequence goes backwards, both sides converge on one state, and no job is
 * paid twice.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { NodeStore } from "../../src/node/store.ts";
import { decodeChannelState } from "../../src/node/channel-state.ts";
import { ROOT, tempDir } from "./helpers.ts";

const CHILD = join(ROOT, "host-ts/test/node/fixtures/payment-child.ts");
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function child(args: string[], killAfterMs?: number): Promise<{ out: string; signal: string | null; code: number | null }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    p.stdout.on("data", (d: Buffer) => (out += d));
    p.stderr.on("data", (d: Buffer) => (err += d));
    const timer = killAfterMs !== undefined ? setTimeout(() => p.kill("SIGKILL"), killAfterMs) : undefined;
    p.on("exit", (code, signal) => {
      if (timer) clearTimeout(timer);
      if (code && code !== 0) out += `\nSTDERR ${err}`;
      resolve({ out, signal, code });
    });
  });
}

/** Reads each store directly (as after a crash, before any node starts). */
function onDisk(dir: string): { sequence: bigint; pending: bigint | null; jobsPaid: string[] } | null {
  const s = new NodeStore(dir);
  try {
    const row = s.channels()[0];
    if (!row) return null;
    const jobs = (s.db.prepare("SELECT hex(job_id) AS j FROM payments WHERE channel_id = ?").all(Buffer.from(row.channelId)) as { j: string }[]).map((r) => r.j);
    return { sequence: decodeChannelState(row.state).sequence, pending: row.pending?.sequence ?? null, jobsPaid: jobs };
  } finally {
    s.close();
  }
}

function lastAck(out: string): bigint {
  const acks = [...out.matchAll(/^ACK (\d+) (\d+)$/gm)].map((m) => BigInt(m[1]));
  return acks.length ? acks[acks.length - 1] : -1n;
}

async function crashAndRecover(crash: string[] , killAfterMs?: number): Promise<void> {
  const c = tempDir("mhr-dur-c-"), p = tempDir("mhr-dur-p-");
  dirs.push(c, p);
  const r = await child(["run", c, p, "6", ...crash], killAfterMs);
  // A named crash point must have been reached (the child killed itself there); a random kill may land after the end.
  if (crash.length) expect(r.signal, r.out).toBe("SIGKILL");
  else expect(r.signal === "SIGKILL" || r.out.includes("DONE"), r.out).toBe(true);
  const acked = lastAck(r.out);
  const dc = onDisk(c), dp = onDisk(p);
  if (acked >= 0n) {
    // Nothing acknowledged is lost on either side.
    expect(dc!.sequence).toBeGreaterThanOrEqual(acked);
    expect(dp!.sequence).toBeGreaterThanOrEqual(acked);
  }
  if (dc && dp) {
    // The payee never holds a state the payer did not sign and keep.
    expect(dp.sequence).toBeLessThanOrEqual(dc.pending ?? dc.sequence);
    expect(new Set(dp.jobsPaid).size).toBe(dp.jobsPaid.length);
  }
  const after = await child(["resume", c, p]);
  const line = after.out.trim().split("\n").pop()!;
  const state = JSON.parse(line) as { consumer: Record<string, unknown>; provider: Record<string, unknown> };
  expect(state.consumer.pending).toBeNull();
  // Both sides agree on one state, at least one step past everything acknowledged before the crash.
  expect(state.consumer.sequence).toBe(state.provider.sequence);
  expect(state.consumer.balanceA).toBe(state.provider.balanceA);
  expect(state.consumer.balanceB).toBe(state.provider.balanceB);
  expect(BigInt(state.consumer.sequence as string)).toBeGreaterThan(acked);
  expect(state.consumer.payments).toBe(state.provider.payments);
  expect(Number(state.consumer.sequence)).toBe(state.provider.payments);
  const fp = onDisk(p)!;
  expect(new Set(fp.jobsPaid).size).toBe(fp.jobsPaid.length);
}

describe("kill -9 during payments", () => {
  for (const [point, n] of [["payer:open-persisted", "1"], ["payer:update-persisted", "3"], ["payee:update-verified", "3"], ["payee:update-persisted", "3"], ["payer:ack-received", "3"], ["provider:executing", "4"]] as const) {
    it(`at ${point} (#${n})`, async () => {
      await crashAndRecover([point, n]);
    });
  }
  it("at random times (3 runs)", async () => {
    for (const ms of [2300, 2600, 2900]) await crashAndRecover([], ms);
  });
});

