/**
 * Virtual boards (host-ts/src/virtual): each port, built into a temp dir from
 * the committed generated C, answers HELLO with the generated build id and
 * runs a job to the same result bytes as the native port.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GENERATED, PORTS, haveTool, type Port } from "../../../scripts/build-firmware.ts";
import { BoardClient } from "../../../host-ts/src/protocol/client.ts";
import { launchVirtual, VirtualBoardError, type VirtualPort } from "../../../host-ts/src/virtual/index.ts";
import { LOOP } from "./jobs.ts";

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), "mhr-virtual-"));
const images = new Map<string, string>();
const buildErrors = new Map<string, string>();
const buildId = /MHR_VM_BUILD_ID "([0-9a-f]+)"/.exec(readFileSync(join(GENERATED, "mhr_vm.h"), "utf8"))?.[1];
const QEMU: Record<string, string> = { "qemu-rv32": "qemu-system-riscv32", "qemu-lx106": "qemu-system-xtensa" };
// The chip ports boot only in Espressif's QEMU: chip-images.test.ts covers them.
const wanted = PORTS.filter((p) => p.name !== "host-asan" && !p.image);
const available = (p: Port): boolean => haveTool(p.cc) && (!QEMU[p.name] || haveTool(QEMU[p.name]));

beforeAll(async () => {
  await Promise.all(wanted.filter(available).map(async (p) => {
    const dir = join(work, p.name);
    const out = join(dir, p.out);
    try {
      await run("mkdir", ["-p", dir]);
      await run(p.cc, [...p.args(), "-o", out], { maxBuffer: 16 << 20 });
      images.set(p.name, out);
    } catch (e) {
      buildErrors.set(p.name, (e as { stderr?: string }).stderr ?? String(e));
    }
  }));
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("virtual boards", () => {
  it("a missing image is a clear error that names the fix", () => {
    expect(() => launchVirtual("qemu-rv32", { image: join(work, "nope.elf") })).toThrow(VirtualBoardError);
    expect(() => launchVirtual("qemu-rv32", { image: join(work, "nope.elf") })).toThrow(/npm run build:firmware/);
  });

  let reference: string | undefined;
  for (const p of wanted) {
    const missing = !available(p) ? `skipped: apt-get install ${p.pkg}${QEMU[p.name] ? " qemu-system-misc" : ""}` : "";
    it.skipIf(missing !== "")(`${p.name}: HELLO and a RUN over the protocol${missing ? ` (${missing})` : ""}`, async () => {
      const image = images.get(p.name);
      expect(image, buildErrors.get(p.name)).toBeDefined();
      const board = launchVirtual(p.name as VirtualPort, { image });
      const client = new BoardClient(board.stream, { timeoutMs: 20_000, retries: 0 });
      try {
        const hello = await client.hello();
        expect(hello.port).toBe(p.name);
        expect(hello.buildId).toBe(buildId);
        expect(hello.features.vmReady).toBe(true);
        const reply = await client.run(LOOP(50n));
        const hex = Buffer.from(reply.resultBytes).toString("hex");
        reference ??= hex; // host runs first: every board must agree with it
        expect(hex).toBe(reference);
        if (p.name === "qemu-rv32") expect(reply.instret).toBeGreaterThan(0);
      } finally {
        client.close();
        await board.close();
      }
    });
  }
});
