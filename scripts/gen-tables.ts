/**
 * Generates every consumer of the data files under spec/ (one module per
 * output family under scripts/gen/):
 *   host-ts/src/generated/opcodes.ts                    (gen/opcodes-ts.ts: reference, assembler, tools)
 *   interpreter-as/assembly/generated/opcodes.ts        (gen/opcodes-as.ts: AssemblyScript VM)
 *   interpreter-as/assembly/generated/vm-loop.ts        (gen/vm-loop.ts: the dispatch loop, vm.ts bodies + generated prologues)
 *   firmware/components/mhr_byte/include/mhr_opcodes.h  (gen/opcodes-c.ts: C component)
 *   docs/SPEC.md tables between BEGIN/END GENERATED markers (gen/opcodes-docs.ts)
 *   from spec/protocol.json (gen/protocol.ts): host-ts/src/generated/protocol.ts,
 *     firmware/components/mhr_byte/proto/mhr_proto_codes.h, docs/PROTOCOL.md tables
 *   from spec/wasm-tier.json (gen/wasm-tier.ts): host-ts/src/generated/wasm-tier.ts, docs/WASM.md tables
 *   from spec/node-protocol.json (gen/node-protocol.ts): host-ts/src/generated/node-protocol.ts, docs/NODE.md tables
 *   from spec/private-protocol.json (gen/private.ts): host-ts/src/generated/private-protocol.ts, docs/PRIVATE.md tables
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
import { vmLoop } from "./gen/vm-loop.ts";
import { opcodesC } from "./gen/opcodes-c.ts";
import { specTables } from "./gen/opcodes-docs.ts";
import { loadProtocolTable } from "../host-ts/src/spec/protocol-schema.ts";
import { protocolC, protocolTables, protocolTs } from "./gen/protocol.ts";
import { loadWasmTierTable } from "../host-ts/src/spec/wasm-tier-schema.ts";
import { wasmTierTables, wasmTierTs } from "./gen/wasm-tier.ts";
import { privateOutputs } from "./gen/private.ts";
import { nodeProtocolOutputs } from "./gen/node-protocol.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const read = (path: string): string => readFileSync(join(root, path), "utf8");

const table = loadTable();
const protocol = loadProtocolTable(table);
const wasmTier = loadWasmTierTable(table);
const outputs: Output[] = [
  { path: "host-ts/src/generated/opcodes.ts", text: opcodesTs(table) },
  { path: "interpreter-as/assembly/generated/opcodes.ts", text: opcodesAs(table) },
  { path: "interpreter-as/assembly/generated/vm-loop.ts", text: vmLoop(table, read("interpreter-as/assembly/vm.ts")) },
  { path: "firmware/components/mhr_byte/include/mhr_opcodes.h", text: opcodesC(table) },
  { path: "docs/SPEC.md", text: fillMarkers(read("docs/SPEC.md"), specTables(table), "docs/SPEC.md") },
  { path: "host-ts/src/generated/protocol.ts", text: protocolTs(protocol, table) },
  { path: "firmware/components/mhr_byte/proto/mhr_proto_codes.h", text: protocolC(protocol, table) },
  { path: "docs/PROTOCOL.md", text: fillMarkers(read("docs/PROTOCOL.md"), protocolTables(protocol), "docs/PROTOCOL.md") },
  { path: "host-ts/src/generated/wasm-tier.ts", text: wasmTierTs(wasmTier, table) },
  { path: "docs/WASM.md", text: fillMarkers(read("docs/WASM.md"), wasmTierTables(wasmTier, table), "docs/WASM.md") },
  ...privateOutputs(root),
  ...nodeProtocolOutputs(root),
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
