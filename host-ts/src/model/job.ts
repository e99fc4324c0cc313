/**
 * The one job builder: a contract plus the parts a caller cares about, every
 * other field at its neutral default. The CLI, the vector generators, the
 * fuzzer, calibration, the benchmarks and the tests all build jobs here, so a
 * new job field (or a changed default) is one edit.
 */
import { FORMAT_VERSION } from "./codec.ts";
import type { Contract, Context, Job, StateMap } from "./types.ts";

export interface JobParts {
  /** The function to call; default: the first in the contract's table. */
  fn?: string;
  args?: readonly bigint[];
  input?: Uint8Array;
  /** Context fields; defaults: zero NodeIDs, epoch 0, no balances. */
  sender?: Uint8Array;
  self?: Uint8Array;
  epoch?: bigint;
  /** Balances by hex NodeID (a Map or a plain object). */
  balances?: ReadonlyMap<string, bigint> | Readonly<Record<string, bigint>>;
  /** The prior state, hex(key) -> value. */
  state?: StateMap;
}

export type JobOf<C extends Contract> = Omit<Job, "contract"> & { contract: C };

export function makeJob<C extends Contract>(contract: C, parts: JobParts = {}): JobOf<C> {
  const balances = parts.balances instanceof Map ? new Map(parts.balances) : new Map(Object.entries(parts.balances ?? {}));
  const context: Context = {
    sender: parts.sender ?? new Uint8Array(16),
    self: parts.self ?? new Uint8Array(16),
    epoch: parts.epoch ?? 0n,
    balances,
  };
  return {
    version: FORMAT_VERSION,
    contract,
    function: parts.fn ?? contract.functions[0]?.name ?? "",
    args: [...(parts.args ?? [])],
    input: parts.input ?? new Uint8Array(0),
    context,
    state: parts.state ?? new Map(),
  };
}
