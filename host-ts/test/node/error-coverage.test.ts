/**
 * docs/NODE.md §10: every node error code is covered by a test. Each code of
 * spec/node-protocol.json must be named in at least one node test file other
 * than this one — an expectation that a refusal carries it, a counter keyed
 * by it, or a classification that names it — and every code docs/NODE.md's table
 * lists must be one the spec defines (the table is generated from it).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const HERE = fileURLToPath(import.meta.url);
const spec = JSON.parse(readFileSync(join(ROOT, "spec/node-protocol.json"), "utf8")) as { errors: { code: number; name: string }[] };

function testTexts(): string {
  const dir = join(ROOT, "host-ts/test/node");
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ts$/.test(e.name) && join(e.parentPath, e.name) !== HERE)
    .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"))
    .join("\n");
}

describe("node error codes", () => {
  it("every code in spec/node-protocol.json is exercised by a node test", () => {
    const text = testTexts();
    const missing = spec.errors.filter((e) => !new RegExp(`\\b${e.name}\\b`).test(text)).map((e) => `${e.code} ${e.name}`);
    expect(missing).toEqual([]);
  });

  it("docs/NODE.md lists exactly the spec's codes", () => {
    const md = readFileSync(join(ROOT, "docs/NODE.md"), "utf8");
    const listed = [...md.matchAll(/^\| (\d+) \| `([A-Z_]+)` \|/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(listed).toEqual(spec.errors.map((e) => `${e.code} ${e.name}`));
  });
});
