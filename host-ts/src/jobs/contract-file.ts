/** Loading contracts and building jobs from the command line's words. */
import { readFileSync } from "node:fs";
import { UserError } from "../model/errors.ts";
import { Limit } from "../generated/opcodes.ts";
import { AsmError } from "../asm/index.ts";
import { assembleChecked, decodeSourceText } from "./source.ts";
import { decodeContract } from "../model/codec.ts";
import { makeJob, type JobParts } from "../model/job.ts";
import { hexToBytes, bytesToHex } from "../model/bytes.ts";
import type { Contract, Job, StateMap } from "../model/types.ts";

function readOrFail(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === "ENOENT" ? `no such file: ${path}` : `cannot read ${path}: ${(e as Error).message}`);
  }
}

/** A .masm file is assembled; anything else must be a canonical contract package (.mhr). */
/** A package from disk, or assembly (which names cost table `costTable` unless it says `.costs`). */
export function loadContract(path: string, costTable?: string): Contract {
  const data = readOrFail(path);
  if (path.endsWith(".masm") || path.endsWith(".asm")) {
    try {
      return assembleChecked(decodeSourceText(new Uint8Array(data), path), costTable !== undefined ? { costTable } : {}).contract;
    } catch (e) {
      if (e instanceof AsmError) throw new UserError(`${path}: ${e.message}`);
      throw e;
    }
  }
  try {
    return decodeContract(new Uint8Array(data));
  } catch (e) {
    throw new UserError(`${path}: not a contract package (${(e as Error).message})`);
  }
}

/** Bytes from the forms users type: hex, @file, or text:… */
export function parseBytesArg(value: string, what: string): Uint8Array {
  if (value.startsWith("@")) return new Uint8Array(readOrFail(value.slice(1)));
  if (value.startsWith("text:")) return new TextEncoder().encode(value.slice(5));
  try {
    return hexToBytes(value);
  } catch {
    throw new UserError(`${what}: expected hex, @file or text:…, got "${value.length > 40 ? value.slice(0, 40) + "…" : value}"`);
  }
}

export function parseIntArg(value: string, what: string): bigint {
  if (!/^[+-]?(0x[0-9a-fA-F]+|\d+)$/.test(value.trim())) throw new UserError(`${what}: "${value}" is not an integer`);
  const t = value.trim();
  const neg = t.startsWith("-");
  const v = BigInt(t.replace(/^[+-]/, ""));
  return neg ? -v : v;
}

export function parseNodeId(value: string, what: string): Uint8Array {
  const b = parseBytesArg(value, what);
  if (b.length !== Limit.NODE_ID_SIZE) throw new UserError(`${what}: a NodeID is ${Limit.NODE_ID_SIZE} bytes, got ${b.length}`);
  return b;
}

export interface JobFlags {
  fn: string;
  args?: string[];
  input?: string;
  sender?: string;
  self?: string;
  epoch?: string;
  balance?: string[];
  state?: string;
}

/** State files are JSON objects of hex key -> hex value (the vectors' `state` format). */
export function loadStateFile(path: string): StateMap {
  let obj: unknown;
  try {
    obj = JSON.parse(readOrFail(path).toString("utf8"));
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) throw new UserError(`${path}: expected a JSON object of hex key -> hex value`);
  const state: StateMap = new Map();
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (typeof v !== "string") throw new UserError(`${path}: value of ${k} is not a hex string`);
    state.set(bytesToHex(parseBytesArg(k, `${path} key`)), parseBytesArg(v, `${path} value of ${k}`));
  }
  return state;
}

/** The job parts the command line's flags name (the model's makeJob supplies the rest). */
export function jobParts(f: JobFlags): JobParts {
  const balances = new Map<string, bigint>();
  for (const b of f.balance ?? []) {
    const [id, amount] = b.split("=");
    if (!id || amount === undefined) throw new UserError(`--balance: expected NODEID=AMOUNT, got "${b}"`);
    balances.set(bytesToHex(parseNodeId(id, "--balance")), parseIntArg(amount, "--balance amount"));
  }
  return {
    fn: f.fn,
    args: (f.args ?? []).flatMap((a) => a.split(",")).filter((a) => a.length).map((a) => parseIntArg(a, "--args")),
    ...(f.input ? { input: parseBytesArg(f.input, "--input") } : {}),
    ...(f.sender ? { sender: parseNodeId(f.sender, "--sender") } : {}),
    ...(f.self ? { self: parseNodeId(f.self, "--self") } : {}),
    ...(f.epoch ? { epoch: parseIntArg(f.epoch, "--epoch") } : {}),
    balances,
    ...(f.state ? { state: loadStateFile(f.state) } : {}),
  };
}

export function buildJob<C extends Contract>(contract: C, f: JobFlags): Omit<Job, "contract"> & { contract: C } {
  return makeJob(contract, jobParts(f));
}
