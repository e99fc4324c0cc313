/**
 * The plug-in interface of opaque compute (docs/NODE.md §9): a provider
 * offers functions by function_id = Blake3-256(name) (D8), priced
 * PerInvocation. The protocol only needs a function to be deterministic —
 * the same input gives the same output on every node — so Redundant and
 * SpotCheck verification can compare answers.
 */
import { hash32 } from "../../model/codec.ts";
import { bytesToHex } from "../../model/bytes.ts";

export type FunctionOutcome = { ok: true; output: Uint8Array } | { ok: false; code: number; message: string };

export interface OpaqueFunction {
  /** The function's name; its function_id is Blake3-256 of the UTF-8 name. */
  readonly name: string;
  readonly description: string;
  /** Default price, µMHR per call (a node may override it). */
  readonly costPerCall: bigint;
  readonly maxInputBytes: number;
  readonly maxConcurrent: number;
  /** Deterministic; never throws on bad input (returns ok: false with a function-specific code). */
  run(input: Uint8Array): Promise<FunctionOutcome>;
}

export function functionId(name: string): Uint8Array {
  return hash32(new TextEncoder().encode(name));
}

export class FunctionRegistry {
  private readonly byId = new Map<string, OpaqueFunction>();

  constructor(functions: readonly OpaqueFunction[] = []) {
    for (const f of functions) this.add(f);
  }

  add(f: OpaqueFunction): void {
    this.byId.set(bytesToHex(functionId(f.name)), f);
  }

  get(id: Uint8Array): OpaqueFunction | undefined {
    return this.byId.get(bytesToHex(id));
  }

  byName(name: string): OpaqueFunction | undefined {
    return this.get(functionId(name));
  }

  all(): OpaqueFunction[] {
    return [...this.byId.values()];
  }
}
