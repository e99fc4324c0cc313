/**
 * A user's clone has nothing beside it: no source file may read a path
 * outside the repository (the test data it needs is committed under
 * test-vectors/upstream/ and host-ts/test/fixtures/ with its provenance).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CODE = /\.(ts|mts|mjs|js|c|h|S|sh|json)$/;
// Generated reports quote where their inputs came from; they are data, not readers.
const EXEMPT = /^docs\//;
// The directory beside the clone, spelt in pieces so that this file does not itself name the path it forbids.
const SIBLING = ["sha", "red"].join("");
const OUTSIDE = new RegExp(`(\\.\\./)+${SIBLING}/|/work/${SIBLING}/`);

describe("the repository is self-contained", () => {
  it("no tracked source file reads the directory beside the clone (../ or /work/ + SIBLING)", () => {
    const files = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" })
      .split("\n")
      .filter((f) => CODE.test(f) && !EXEMPT.test(f) && !f.includes("/generated/"));
    expect(files.length).toBeGreaterThan(100);
    const offenders = files.filter((f) => {
      const text = readFileSync(`${ROOT}/${f}`, "utf8");
      return OUTSIDE.test(text);
    });
    expect(offenders).toEqual([]);
  });
});
