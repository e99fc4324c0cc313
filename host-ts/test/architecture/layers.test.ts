import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { edgesOf, LAYERS, sourceFiles, specifiersOf, violations } from "./layers.ts";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

describe("import direction over host-ts/src", () => {
  it("every import points down the layer map (or stays in its directory)", () => {
    const edges = edgesOf(SRC);
    expect(edges.length).toBeGreaterThan(300);
    expect(violations(edges, sourceFiles(SRC))).toEqual([]);
  });

  it("the map names every directory there is, node/ and private/ included", () => {
    const dirs = new Set(sourceFiles(SRC).map((f) => f.split("/")[0]));
    for (const d of dirs) expect(LAYERS[d], d).toBeDefined();
    expect(LAYERS.private).toBeLessThan(LAYERS.node);
  });

  it("finds static, re-exported, side-effect and dynamic imports, not ones in comments", () => {
    const text = [
      'import { a } from "../model/a.ts";',
      'import type { B } from "./b.ts";',
      'export { c } from "../crypto/c.ts";',
      'import "./side.ts";',
      'const m = await import("../engines/registry.ts");',
      "// import { x } from \"../cli/x.ts\";",
      '/* import { y } from "../cli/y.ts"; */',
      'import {\n  multi,\n} from "../model/multi.ts";',
    ].join("\n");
    expect(specifiersOf(text).sort()).toEqual(["../crypto/c.ts", "../engines/registry.ts", "../model/a.ts", "../model/multi.ts", "./b.ts", "./side.ts"]);
  });

  it("reports an import that runs up, one between siblings, and private/ reaching for libp2p", () => {
    const found = violations([
      { from: "reference/interpreter.ts", specifier: "../engines/engine.ts", to: "engines/engine.ts" },
      { from: "wasm-tier/host.ts", specifier: "../reference/x.ts", to: "reference/x.ts" },
      { from: "private/shamir.ts", specifier: "../node/peer.ts", to: "node/peer.ts" },
      { from: "private/shamir.ts", specifier: "@libp2p/crypto", },
      { from: "flash/flash.ts", specifier: "../boards/profiles.ts", to: "boards/profiles.ts" },
      { from: "cli/main.ts", specifier: "commander" },
    ], ["reference/index.ts", "stray.ts", "newdir/x.ts"]);
    expect(found).toHaveLength(6);
    expect(found.join("\n")).toMatch(/stray\.ts: not in a directory/);
    expect(found.join("\n")).toMatch(/newdir\/x\.ts: not in a directory/);
    expect(found.join("\n")).toMatch(/reference\/interpreter\.ts imports engines/);
    expect(found.join("\n")).toMatch(/wasm-tier\/host\.ts imports reference/);
    expect(found.join("\n")).toMatch(/private\/shamir\.ts imports node/);
    expect(found.join("\n")).toMatch(/@libp2p\/crypto/);
  });
});
