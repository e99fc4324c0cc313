/**
 * Node profiles (profiles/*.json at the repository root, data only; see
 * profiles/README.md): what a node of a hardware tier runs — cpu class,
 * MHR-Byte limits, WASM tier, concurrency — and its default engine.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Limit } from "../generated/opcodes.ts";
import { CpuClass } from "../generated/node-protocol.ts";

export const PROFILES_DIR = fileURLToPath(new URL("../../../profiles/", import.meta.url));

export type WasmTierName = "none" | "light" | "full";

export interface MhrByteLimits {
  maxCycles: number;
  maxMemory: number;
  maxStateSize: number;
  maxJobBytes: number;
}

export interface NodeProfile {
  name: string;
  description: string;
  cpuClass: keyof typeof CpuClass;
  availableMemoryMb: number;
  mhrByte: MhrByteLimits | null;
  wasm: WasmTierName;
  maxConcurrentJobs: number;
  defaultEngine: string;
}

export class ProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProfileError";
  }
}

const KEYS = ["name", "description", "cpuClass", "availableMemoryMb", "mhrByte", "wasm", "maxConcurrentJobs", "defaultEngine"];
const MB_KEYS = ["maxCycles", "maxMemory", "maxStateSize", "maxJobBytes"];

export function parseProfile(obj: unknown, file: string): NodeProfile {
  const bad = (m: string): never => { throw new ProfileError(`${file}: ${m}`); };
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) return bad("expected a JSON object");
  const o = obj as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) bad(`unknown field "${k}"`);
  for (const k of KEYS) if (!(k in o)) bad(`missing field "${k}"`);
  const posInt = (v: unknown, f: string, max = Number.MAX_SAFE_INTEGER, min = 0) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) bad(`field "${f}" must be an integer in ${min}..${max} (got ${JSON.stringify(v)})`);
    return v as number;
  };
  if (typeof o.name !== "string" || !/^[a-z0-9-]+$/.test(o.name)) bad(`field "name" must be lower-case letters, digits and dashes`);
  if (file.endsWith(".json") && basename(file, ".json") !== o.name) bad(`field "name" must equal the file name`);
  if (typeof o.description !== "string") bad(`field "description" must be a string`);
  if (typeof o.cpuClass !== "string" || !(o.cpuClass in CpuClass)) bad(`field "cpuClass" must be one of ${Object.keys(CpuClass).join(", ")}`);
  if (o.wasm !== "none" && o.wasm !== "light" && o.wasm !== "full") bad(`field "wasm" must be none, light or full`);
  if (typeof o.defaultEngine !== "string" || !o.defaultEngine) bad(`field "defaultEngine" must be an engine name`);
  let mhrByte: MhrByteLimits | null = null;
  if (o.mhrByte !== null) {
    const m = o.mhrByte as Record<string, unknown>;
    if (!m || typeof m !== "object" || Array.isArray(m)) bad(`field "mhrByte" must be an object or null`);
    for (const k of Object.keys(m)) if (!MB_KEYS.includes(k)) bad(`unknown field "mhrByte.${k}"`);
    mhrByte = {
      maxCycles: posInt(m.maxCycles, "mhrByte.maxCycles", Limit.MAX_CYCLES),
      maxMemory: posInt(m.maxMemory, "mhrByte.maxMemory", Limit.MAX_MEMORY),
      maxStateSize: posInt(m.maxStateSize, "mhrByte.maxStateSize", Limit.MAX_STATE_SIZE),
      maxJobBytes: posInt(m.maxJobBytes, "mhrByte.maxJobBytes", Limit.MAX_JOB_SIZE),
    };
  }
  return {
    name: o.name as string,
    description: o.description as string,
    cpuClass: o.cpuClass as NodeProfile["cpuClass"],
    availableMemoryMb: posInt(o.availableMemoryMb, "availableMemoryMb", 0xffffffff),
    mhrByte,
    wasm: o.wasm as WasmTierName,
    maxConcurrentJobs: posInt(o.maxConcurrentJobs, "maxConcurrentJobs", 0xffff, 1),
    defaultEngine: o.defaultEngine as string,
  };
}

export function loadProfiles(dir = PROFILES_DIR): NodeProfile[] {
  return readdirSync(dir).filter((f) => f.endsWith(".json")).sort().map((f) => {
    const path = join(dir, f);
    let obj: unknown;
    try {
      obj = JSON.parse(readFileSync(path, "utf8"));
    } catch (e) {
      throw new ProfileError(`profiles/${f}: not valid JSON (${(e as Error).message})`);
    }
    return parseProfile(obj, `profiles/${f}`);
  });
}

export function getProfile(name: string, dir = PROFILES_DIR): NodeProfile {
  const all = loadProfiles(dir);
  const p = all.find((x) => x.name === name);
  if (!p) throw new ProfileError(`unknown profile "${name}"; known profiles: ${all.map((x) => x.name).join(", ")}`);
  return p;
}
