/**
 * npm run main [-- --board B]: the main job on the embedded default, the
 * qemu-rv32 virtual board — build the VM and the firmware, run the whole
 * conformance suite on the board, calibrate the cost model on it, and say
 * where the reports are.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const argv = process.argv.slice(2);
const board = argv[argv.indexOf("--board") + 1] && argv.includes("--board") ? argv[argv.indexOf("--board") + 1] : "qemu-rv32";

function step(title: string, cmd: string, args: string[]): void {
  console.log(`\n== ${title}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`main: "${title}" failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

const mhr = (...a: string[]) => [join(ROOT, "bin/mhr.mjs"), ...a];
step("build the VM (AssemblyScript -> WASM)", "npm", ["run", "--silent", "build"]);
step("build the firmware (wasm2c -> C -> host, qemu-rv32, qemu-lx106)", "npm", ["run", "--silent", "build:firmware"]);
step(`conformance on ${board}`, process.execPath, mhr("conform", "--board", board, "--out", "out/conform"));
step(`calibration on ${board}`, process.execPath, mhr("calibrate", "--board", board, "--out", `out/calibration/${board}`));

const conform = JSON.parse(readFileSync(join(ROOT, "out/conform", `${board}.json`), "utf8")) as { summary: { total: number; passed: number; failed: number } };
console.log("\n== done");
console.log(`conformance  ${board}: ${conform.summary.passed}/${conform.summary.total} passed  ${JSON.stringify({ engine: board, ...conform.summary })}`);
console.log("reports:");
console.log(`  out/conform/${board}.json, out/conform/junit.xml`);
const cal = join("out/calibration", board);
if (existsSync(join(ROOT, cal, "report.html"))) console.log(`  ${cal}/report.html (+ calibration.json, proposed-cost-table.json)`);
