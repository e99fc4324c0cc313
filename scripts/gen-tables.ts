/**
 * Generates every consumer of the data files under spec/ (one module per
 * output family under scripts/gen/):
 *   host-ts/src/generated/opcodes.ts                    (gen/opcodes-ts.ts: reference, assembler, tools)
 *   interpreter-as/assembly/generated/opcodes.ts        (gen/opcodes-as.ts: AssemblyScript VM)
 *   firmware/components/mhr_byte/include/mhr_opcodes.h  (gen/opcodes-c.ts: C component)
 *   docs/SPEC.md tables between BEGIN/END GENERATED markers (gen/opcodes-docs.ts)
 * `--check` writes nothing and exits 1 if any output is stale (CI runs it).
 * A new generator is one module returning Output[] and one line in `outputs`.
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadTable } from "../host-ts/src/spec/table-schema.ts";
import { fillMarkers, type Output } from "./gen/util.ts";
import { opcodesTs } from "./gen/opcodes-ts.ts";
import { opcodesAs } from "./gen/opcodes-as.ts";
import { opcodesC } from "./gen/opcodes-c.ts";
import { specTables } from "./gen/opcodes-docs.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const read = (path: string): string => readFileSync(join(root, path), "utf8");

const table = loadTable();
const outputs: Output[] = [
  { path: "host-ts/src/generated/opcodes.ts", text: opcodesTs(table) },
  { path: "interpreter-as/assembly/generated/opcodes.ts", text: opcodesAs(table) },
  { path: "firmware/components/mhr_byte/include/mhr_opcodes.h", text: opcodesC(table) },
  { path: "docs/SPEC.md", text: fillMarkers(read("docs/SPEC.md"), specTables(table), "docs/SPEC.md") },
];

const check = process.argv.includes("--check");
let stale = 0;
for (const { path: rel, text } of outputs) {
  const path = join(root, rel);
  const old = existsSync(path) ? readFileSync(path, "utf8") : "";
  if (old === text) continue;
  if (check) {
    console.error(`stale: ${rel} (run npm run gen)`);
    stale++;
  } else {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    console.log(`wrote ${rel}`);
  }
}
if (check && stale) process.exit(1);
if (check) console.log("generated tables are up to date");
