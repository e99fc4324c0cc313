/**
 * The job / contract / result model of SPEC §5, §6 and §13, shared by every
 * engine and tool on the host. Signed 64-bit values are bigint; byte strings
 * are Uint8Array; the state is a map keyed by the hex of each key.
 */
import type { StatusCode } from "../generated/opcodes.ts";

export interface FunctionSignature {
  name: string;
  entry: number;
  args: number;
  rets: number;
}

export interface Contract {
  version: number;
  /** Blake3-256 of code. */
  hash: Uint8Array;
  code: Uint8Array;
  maxMemory: number;
  maxCycles: number;
  maxStateSize: number;
  stateKey: Uint8Array;
  functions: FunctionSignature[];
}

/** State: hex(key) -> value. Order does not matter; encodings sort keys. */
export type StateMap = Map<string, Uint8Array>;

export interface Context {
  sender: Uint8Array;
  self: Uint8Array;
  epoch: bigint;
  /** hex(NodeID) -> balance in µMHR. */
  balances: Map<string, bigint>;
}

export interface Job {
  version: number;
  contract: Contract;
  function: string;
  args: bigint[];
  input: Uint8Array;
  context: Context;
  state: StateMap;
}

export interface Transfer {
  to: Uint8Array;
  amount: bigint;
}

export interface Result {
  version: number;
  jobHash: Uint8Array;
  status: StatusCode;
  code: bigint;
  cycles: number;
  returns: bigint[];
  output: Uint8Array;
  logs: Uint8Array[];
  transfers: Transfer[];
  stateHash: Uint8Array;
}
