import { describe, expect, it } from "vitest";
import { loadVectors } from "../../src/vectors/format.ts";

describe("vector files", () => {
  it("loads every committed vector, and nothing from test-vectors/upstream/ or defs/", () => {
    const all = loadVectors();
    expect(all.filter((v) => v.tier === "mhr-byte").length).toBeGreaterThan(1700);
    expect(all.filter((v) => v.tier === "wasm").length).toBeGreaterThan(100);
    expect(all.every((v) => v.file.startsWith("mhr-byte/") || v.file.startsWith("wasm/"))).toBe(true);
  });
});
