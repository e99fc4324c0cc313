import { afterAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createWasmTierEngine } from "../../src/engines/wasm-tier-engine.ts";
import { loadVectors, VECTORS_DIR } from "../../src/vectors/format.ts";
import { runVector, formatFailure } from "../../src/vectors/run.ts";
import { generate } from "../../../scripts/gen-wasm-vectors.ts";

const engine = createWasmTierEngine({ nodeTier: "full" });
afterAll(() => engine.close());

describe("WASM-tier vectors", () => {
  const vectors = loadVectors({ tier: "wasm" });

  it("exist for every required area", () => {
    const names = vectors.map((v) => v.name);
    for (const area of ["wasm/host/", "wasm/fuel/", "wasm/memory/", "wasm/validation/", "wasm/float/", "wasm/hostile/", "wasm/example/"]) {
      expect(names.some((n) => n.startsWith(area)), area).toBe(true);
    }
    expect(vectors.length).toBeGreaterThan(90);
  });

  it("all pass on the wasm-tier engine", async () => {
    const failures: string[] = [];
    for (const v of vectors) {
      const o = await runVector(engine, v);
      if (!o.passed) failures.push(formatFailure(o));
    }
    expect(failures).toEqual([]);
  });

  it("are up to date with scripts/gen-wasm-vectors.ts (deterministic regeneration)", async () => {
    const files = await generate();
    for (const [name, content] of files) {
      expect(readFileSync(join(VECTORS_DIR, "wasm", name), "utf8"), name).toBe(content);
    }
  });
});
