/** Tier 3 modules are ground-level math and I/O: nothing from node/, libp2p, or the test tree. */
import { expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const DIR = fileURLToPath(new URL("../../../src/private/attestation/", import.meta.url));

it("host-ts/src/private/attestation imports nothing from node/, libp2p or test code", () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".ts"));
  expect(files.length).toBeGreaterThan(10);
  for (const f of files) {
    const imports = [...readFileSync(DIR + f, "utf8").matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1]);
    for (const i of imports) {
      expect(i, `${f} imports ${i}`).not.toMatch(/(^|\/)node\/|libp2p|\/test\//);
      if (i.startsWith(".")) expect(i, `${f} imports ${i}`).toMatch(/^\.\/|^\.\.\/\.\.\/(model|generated)\//);
    }
  }
});
