/**
 * `mhr calibrate` on the virtual RV32 board (a reduced set of cost keys and
 * a small K keep it to seconds), and the HTML report in headless Chromium:
 * no console errors, no failed requests, no request at all beyond the file,
 * and the SVG charts present.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium } from "playwright-core";
import { REPO_ROOT } from "../../src/boards/profiles.ts";
import { calibrate, type CalibrationResult } from "../../src/calibrate/run.ts";
import { reportHtml } from "../../src/calibrate/report.ts";
import { COST_KEYS } from "../../src/calibrate/microbench.ts";
import { fakeConnect } from "./fake-board.ts";

const run = promisify(execFile);
const MHR = join(REPO_ROOT, "bin", "mhr.mjs");
const ELF = join(REPO_ROOT, "build", "firmware", "qemu-rv32", "mhr.elf");
const CHROMIUM = "/usr/bin/chromium";
const haveQemu = existsSync(ELF);
const haveChromium = existsSync(CHROMIUM);
const work = mkdtempSync(join(tmpdir(), "mhr-calibrate-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Loads a report in headless Chromium; returns console errors, failed and foreign requests, and the SVG ids. */
async function openReport(file: string): Promise<{ errors: string[]; failed: string[]; foreign: string[]; svgs: number; ids: string[]; soundnessLine: number; title: string }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    const failed: string[] = [];
    const foreign: string[] = [];
    const url = pathToFileURL(file).href;
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("requestfailed", (r) => failed.push(r.url()));
    page.on("request", (r) => { if (r.url() !== url && !r.url().startsWith("data:")) foreign.push(r.url()); });
    await page.goto(url, { waitUntil: "load" });
    const svgs = await page.locator("svg").count();
    const ids = await page.$$eval("svg[id]", (els) => els.map((e) => e.id));
    const soundnessLine = await page.locator("#chart-ratio .soundness-line").count();
    return { errors, failed, foreign, svgs, ids, soundnessLine, title: await page.title() };
  } finally {
    await browser.close();
  }
}

describe("calibration report HTML", () => {
  let result: CalibrationResult;
  beforeAll(async () => {
    result = await calibrate({ board: "qemu-rv32", repeat: 1, k: 8, connect: fakeConnect() });
  }, 60_000);

  it("is self-contained: no scripts, no external references", () => {
    const html = reportHtml(result);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)="(?!data:|#)/);
    expect(html).not.toMatch(/@import|url\(/);
    expect(html).toContain("ESTIMATES");
  });

  it.skipIf(!haveChromium)(`opens in headless Chromium without errors and shows the charts${haveChromium ? "" : " (skipped: /usr/bin/chromium missing)"}`, async () => {
    const file = join(work, "synthetic-report.html");
    writeFileSync(file, reportHtml(result));
    const r = await openReport(file);
    expect(r.errors).toEqual([]);
    expect(r.failed).toEqual([]);
    expect(r.foreign).toEqual([]);
    expect(r.ids).toEqual(expect.arrayContaining(["chart-measured-charged", "chart-ratio"]));
    expect(r.svgs).toBeGreaterThanOrEqual(2 + 9); // two key charts and one per size-dependent key
    expect(r.soundnessLine).toBe(1);
    expect(r.title).toMatch(/qemu-rv32/);
  }, 60_000);
});

const noQemu = haveQemu ? "" : ` (skipped: ${ELF} is missing; run \`npm run build:firmware\`)`;

describe.skipIf(!haveQemu)(`mhr calibrate --board qemu-rv32${noQemu}`, () => {
  const out = join(work, "qemu-rv32");
  let stdout = "";
  let stderr = "";
  beforeAll(async () => {
    const r = await run(process.execPath, [MHR, "calibrate", "--board", "qemu-rv32", "--repeat", "2", "--k", "16", "--only", "PUSH,ADD,JZ,HASH,STORE.state,VERIFY_SIG", "--out", out, "--no-progress"], { cwd: REPO_ROOT, maxBuffer: 16 << 20, timeout: 240_000 });
    stdout = r.stdout;
    stderr = r.stderr;
  }, 270_000);

  it("writes calibration.json, report.html and proposed-cost-table.json", () => {
    for (const f of ["calibration.json", "report.html", "proposed-cost-table.json"]) expect(existsSync(join(out, f)), f).toBe(true);
    expect(stdout).toMatch(/cost key .* ratio .* verdict .* proposed/);
    expect(stdout).toMatch(/ESTIMATES/);
    expect(stdout).toMatch(/VERIFY_SIG .* UNSOUND/);
    expect(stderr).not.toMatch(/error/i);
  });

  it("labels the figures as estimates and keeps every cost key in the proposed table", () => {
    const cal = JSON.parse(readFileSync(join(out, "calibration.json"), "utf8")) as CalibrationResult;
    expect(cal.estimates).toBe(true);
    expect(cal.basis.kind).toBe("instret");
    expect(cal.model?.port).toBe("qemu-rv32");
    expect(cal.hello.port).toBe("qemu-rv32");
    expect(cal.settings.repeat).toBe(2);
    expect(cal.benches.every((b) => b.run.iterations === 2)).toBe(true);
    const proposed = JSON.parse(readFileSync(join(out, "proposed-cost-table.json"), "utf8")) as Record<string, { status: string; basedOn: string; margin: number; costs: Record<string, unknown> }>;
    const [name] = Object.keys(proposed);
    expect(name).toBe("v2-qemu-rv32");
    expect(proposed[name].status).toBe("proposed");
    expect(proposed[name].basedOn).toBe("v1");
    expect(proposed[name].margin).toBe(1.25);
    expect(Object.keys(proposed[name].costs)).toEqual(COST_KEYS);
    expect(cal.proposed.violations).toEqual([]);
    // The exact instruction counts make every equation exact.
    for (const b of cal.benches) expect(Math.abs(b.residual), b.id).toBeLessThan(1e-6);
  });

  it.skipIf(!haveChromium)("its report opens in headless Chromium without errors", async () => {
    const r = await openReport(join(out, "report.html"));
    expect(r.errors).toEqual([]);
    expect(r.failed).toEqual([]);
    expect(r.foreign).toEqual([]);
    expect(r.ids).toEqual(expect.arrayContaining(["chart-measured-charged", "chart-ratio"]));
  }, 60_000);
});

describe("mhr calibrate errors", () => {
  it("an unknown board is a one-line error", async () => {
    const err = await run(process.execPath, [MHR, "calibrate", "--board", "no-such-board"], { cwd: REPO_ROOT }).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr.trim().split("\n")).toHaveLength(1);
    expect((err as { stderr: string }).stderr).toMatch(/^mhr: error: unknown engine or board "no-such-board"/);
  });

  it.skipIf(!existsSync(join(REPO_ROOT, "build", "firmware", "host", "mhr-host")))("the host board is skipped with a clear message", async () => {
    const r = await run(process.execPath, [MHR, "calibrate", "--board", "host", "--out", join(work, "host")], { cwd: REPO_ROOT });
    expect(r.stderr).toMatch(/calibrate skipped: .*no retired-instruction counter/);
    expect(existsSync(join(work, "host", "calibration.json"))).toBe(false);
  });
});
