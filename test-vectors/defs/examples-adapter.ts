/** Turns the example-contract scenarios (examples.ts) into vector definitions. */
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hexToBytes } from "../../host-ts/src/model/bytes.ts";
import { TRAP_NAMES } from "../../host-ts/src/generated/opcodes.ts";
import type { DefFile, VectorDef } from "./lib.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

export async function examplesDefFile(): Promise<DefFile | null> {
  if (!existsSync(new URL("./examples.ts", import.meta.url))) return null;
  const { examples } = await import("./examples.ts");
  const vectors: VectorDef[] = examples.map((e) => ({
    name: e.name,
    description: e.description,
    source: readFileSync(root + e.contract, "utf8"),
    sourceNote: `; ${e.contract}, function ${e.fn}`,
    // The scenario's intended outcome, written by hand with the contract: the reference must agree.
    expect: {
      status: e.expect.status,
      code: e.expect.status === "TRAP" ? TRAP_NAMES[Number(e.expect.code ?? 0n)] : e.expect.status === "ABORT" ? String(e.expect.code ?? 0n) : undefined,
      returns: e.expect.returns,
      output: e.expect.output,
      logs: e.expect.logs,
      transfers: e.expect.transfers,
      state: e.expect.state,
    },
    fn: e.fn,
    args: e.args,
    input: e.input ? hexToBytes(e.input) : undefined,
    sender: e.sender ? hexToBytes(e.sender) : undefined,
    self: e.self ? hexToBytes(e.self) : undefined,
    epoch: e.epoch,
    balances: e.balances,
    state: e.state ? new Map(Object.entries(e.state).map(([k, v]) => [k, hexToBytes(v)])) : undefined,
  }));
  return { category: "examples", description: "the example contracts of examples/contracts/ on their scenarios", vectors };
}
