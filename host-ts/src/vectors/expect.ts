/**
 * A vector definition's expectation: the outcome derived by hand from the
 * SPEC (or docs/WASM.md), which the generators check against the engine
 * before they write a vector, so the vectors pin the specification rather
 * than an engine's behaviour. One type and one check for both tiers.
 */
import { ERRORCODE_NAMES, Status, TRAP_NAMES, type StatusCode, type StatusName } from "../generated/opcodes.ts";
import type { EngineRun } from "../model/engine.ts";
import { expectedFromRun } from "./format.ts";

export interface Expect {
  status?: StatusName;
  /** Trap or error name for TRAP/INVALID; the decimal code for ABORT. */
  code?: string;
  returns?: bigint[];
  cycles?: number;
  /** Hex. */
  output?: string;
  logs?: string[];
  transfers?: { to: string; amount: bigint }[];
  /** hex key -> hex value. */
  state?: Record<string, string>;
}

/** Names a result's code the way an expectation writes it. */
export type CodeNamer = (status: StatusCode, code: bigint) => string;

export const mhrByteCodeName: CodeNamer = (status, code) =>
  status === Status.TRAP ? TRAP_NAMES[Number(code)] ?? `TRAP_${code}` : status === Status.INVALID ? ERRORCODE_NAMES[Number(code)] ?? `ERROR_${code}` : code.toString();

const sortedState = (o: Record<string, string> | undefined): string =>
  JSON.stringify(Object.entries(o ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** Every field in which the run differs from the expectation, as "field: expected X, got Y" (empty when it agrees). */
export function expectationMismatches(e: Expect, run: EngineRun, codeName: CodeNamer = mhrByteCodeName): string[] {
  const got = expectedFromRun(run);
  const out: string[] = [];
  const differ = (field: string, want: string, have: string) => { if (want !== have) out.push(`${field}: expected ${want}, got ${have}`); };
  const code = codeName(run.result.status, run.result.code);
  if (e.status !== undefined && e.status !== got.status) out.push(`status: expected ${e.status}, got ${got.status}${run.result.status === Status.HALT ? "" : ` ${code}`}`);
  if (e.code !== undefined) differ("code", e.code, code);
  if (e.returns) differ("returns", e.returns.join(","), got.returns.join(","));
  if (e.cycles !== undefined) differ("cycles", String(e.cycles), String(got.cycles));
  if (e.output !== undefined) differ("output", e.output, got.output);
  if (e.logs) differ("logs", JSON.stringify(e.logs), JSON.stringify(got.logs));
  if (e.transfers) differ("transfers", JSON.stringify(e.transfers.map((t) => ({ to: t.to, amount: t.amount.toString() }))), JSON.stringify(got.transfers));
  if (e.state) differ("state", sortedState(e.state), sortedState(got.state));
  return out;
}
