/**
 * The private-compute math modules are network-independent: nothing under
 * host-ts/src/private/ imports the mesh node, libp2p, or any layer above
 * the node (the node composes them, never the other way round).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));
const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
  const p = join(dir, f);
  return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
});

describe("private/ layering", () => {
  it("imports nothing from node/, libp2p, or the tools and CLI layers", () => {
    const mods = files(join(SRC, "private"));
    expect(mods.length).toBeGreaterThan(10);
    const bad: string[] = [];
    for (const f of mods) {
      for (const m of readFileSync(f, "utf8").matchAll(/\bfrom\s+"([^"]+)"/g)) {
        const spec = m[1];
        if (/libp2p|^@chainsafe\//.test(spec)) bad.push(`${relative(SRC, f)} → ${spec}`);
        if (spec.startsWith(".")) {
          const target = relative(SRC, join(f, "..", spec));
          if (/^(node|conform|calibrate|fuzz|vectors|cli)\//.test(target)) bad.push(`${relative(SRC, f)} → ${target}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });
});
