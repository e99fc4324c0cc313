/** Persistent state through LOAD.state / STORE.state / STORE.del (SPEC §3, §9.7): sizes, keys, commit only on HALT. */
import { COST_TABLES, Limit } from "../../host-ts/src/generated/opcodes.ts";
// The vectors of this file are contract version 1: table v1 (gen-vectors.ts derives their version-2 twins).
const COSTS = COST_TABLES.v1;
import { main, hex, ascii, stateOf, type DefFile, type VectorDef } from "./lib.ts";

const c = (k: string) => COSTS[k].base;
const OVER = Limit.STATE_ENTRY_OVERHEAD;

/** Writes key text at 0 and value text at 64, then STORE.state. */
const put = (key: string, value: string) => `.data 0 "${key}"\n.data 64 "${value}"\nPUSH 0\nPUSH ${ascii(key).length}\nPUSH 64\nPUSH ${ascii(value).length}\nSTORE.state`;
/** LOAD.state of key into 128 with capacity cap; leaves vlen on the stack. */
const get = (key: string, cap: number) => `.data 0 "${key}"\nPUSH 0\nPUSH ${ascii(key).length}\nPUSH 128\nPUSH ${cap}\nLOAD.state`;

const st = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [hex(ascii(k)), hex(ascii(v))]));

export const state: DefFile = {
  category: "state",
  description: "LOAD.state, STORE.state, STORE.del: absent keys, partial reads, key lengths, max_state_size at and past its bound, rollback on ABORT and TRAP",
  vectors: [
    { name: "load/absent", description: "LOAD.state of an absent key pushes -1", source: main(get("k", 8) + "\nHALT", { rets: 1 }), expect: { returns: [-1n] } },
    { name: "load/present", description: "LOAD.state copies the value and pushes its length", source: main(get("name", 16) + "\nPUSH 128\nPUSH 5\nEMIT\nHALT", { rets: 1 }), state: stateOf({ name: "alice" }), expect: { returns: [5n], output: hex(ascii("alice")) } },
    { name: "load/partial", description: "a capacity smaller than the value copies only cap bytes but reports the full length", source: main(get("name", 2) + "\nPUSH 128\nPUSH 5\nEMIT\nHALT", { rets: 1 }), state: stateOf({ name: "alice" }), expect: { returns: [5n], output: hex(Uint8Array.from([...ascii("al"), 0, 0, 0])) } },
    { name: "load/cap-zero", description: "capacity 0 asks only for the length", source: main(get("name", 0) + "\nHALT", { rets: 1 }), state: stateOf({ name: "alice" }), expect: { returns: [5n] } },
    { name: "load/empty-value", description: "an empty value is present with length 0 (not -1)", source: main(get("e", 8) + "\nHALT", { rets: 1 }), state: stateOf({ e: "" }), expect: { returns: [0n] } },
    { name: "load/cost", description: "LOAD.state costs base + per 32 bytes of klen+cap", source: main("PUSH 0\nPUSH 1\nPUSH 128\nPUSH 64\nLOAD.state\nHALT", { rets: 1 }), expect: { cycles: 4 + c("LOAD.state") + 3 * COSTS["LOAD.state"].per! + c("HALT") } },
    { name: "load/key-empty", description: "a zero-length key traps INVALID_STATE_KEY", source: main("PUSH 0\nPUSH 0\nPUSH 128\nPUSH 8\nLOAD.state\nHALT"), expect: { status: "TRAP", code: "INVALID_STATE_KEY", cycles: 4 } },
    { name: "load/key-64", description: "a 64-byte key is allowed", source: main("PUSH 0\nPUSH 64\nPUSH 128\nPUSH 8\nLOAD.state\nHALT", { rets: 1 }), expect: { returns: [-1n] } },
    { name: "load/key-65", description: "a 65-byte key traps INVALID_STATE_KEY", source: main("PUSH 0\nPUSH 65\nPUSH 128\nPUSH 8\nLOAD.state\nHALT"), expect: { status: "TRAP", code: "INVALID_STATE_KEY" } },
    { name: "load/range-before-key", description: "memory ranges are checked before the key length", source: main("PUSH 0\nPUSH 0\nPUSH 250\nPUSH 8\nLOAD.state\nHALT"), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS" } },
    { name: "load/dst-out-of-bounds", description: "destination range past the end traps", source: main("PUSH 0\nPUSH 1\nPUSH 255\nPUSH 2\nLOAD.state\nHALT"), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS" } },
    { name: "load/underflow", description: "LOAD.state needs four values", source: main("PUSH 0\nPUSH 1\nPUSH 2\nLOAD.state\nHALT"), expect: { status: "TRAP", code: "STACK_UNDERFLOW" } },
    { name: "store/new", description: "STORE.state adds an entry, committed on HALT", source: main(put("k", "v") + "\nHALT"), expect: { status: "HALT", state: st({ k: "v" }) } },
    { name: "store/replace", description: "STORE.state replaces a value", source: main(put("k", "new") + "\nHALT"), state: stateOf({ k: "old", z: "keep" }), expect: { state: st({ k: "new", z: "keep" }) } },
    { name: "store/empty-value", description: "an empty value is stored (distinct from delete)", source: main("PUSH 0\nPUSH 1\nPUSH 64\nPUSH 0\nSTORE.state\nHALT"), expect: { state: { "00": "" } } },
    { name: "store/binary-key", description: "keys are bytes; state encodes with keys in bytewise order", source: main('.data 0 hex:ff01\n.data 8 hex:0a\nPUSH 0\nPUSH 2\nPUSH 8\nPUSH 1\nSTORE.state\nPUSH 0\nPUSH 1\nPUSH 8\nPUSH 1\nSTORE.state\nHALT'), expect: { state: { ff: "0a", ff01: "0a" } } },
    { name: "store/cost", description: "STORE.state costs base + per 32 bytes of klen+vlen", source: main("PUSH 0\nPUSH 1\nPUSH 64\nPUSH 32\nSTORE.state\nHALT"), expect: { cycles: 4 + c("STORE.state") + 2 * COSTS["STORE.state"].per! + c("HALT") } },
    { name: "store/key-empty", description: "STORE.state with a zero-length key", source: main("PUSH 0\nPUSH 0\nPUSH 64\nPUSH 1\nSTORE.state\nHALT"), expect: { status: "TRAP", code: "INVALID_STATE_KEY" } },
    { name: "store/key-65", description: "STORE.state with a 65-byte key", source: main("PUSH 0\nPUSH 65\nPUSH 100\nPUSH 1\nSTORE.state\nHALT"), expect: { status: "TRAP", code: "INVALID_STATE_KEY" } },
    { name: "store/value-out-of-bounds", description: "value range past the end", source: main("PUSH 0\nPUSH 1\nPUSH 200\nPUSH 57\nSTORE.state\nHALT"), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS" } },
    { name: "limit/exactly-full", description: `a state of exactly max_state_size (entry size = ${OVER} + key + value) is allowed`, source: main("PUSH 0\nPUSH 1\nPUSH 0\nPUSH 95\nSTORE.state\nHALT", { state: 100 }), expect: { status: "HALT" } },
    { name: "limit/one-past", description: "one byte more traps STATE_LIMIT_EXCEEDED after charging, state unchanged", source: main("PUSH 0\nPUSH 1\nPUSH 0\nPUSH 96\nSTORE.state\nHALT", { state: 100 }), expect: { status: "TRAP", code: "STATE_LIMIT_EXCEEDED", cycles: 4 + c("STORE.state") + 4 * COSTS["STORE.state"].per! } },
    { name: "limit/replace-counts-old-entry-once", description: "replacing an entry subtracts the old entry before adding the new", source: main("PUSH 0\nPUSH 1\nPUSH 0\nPUSH 95\nSTORE.state\nPUSH 0\nPUSH 1\nPUSH 0\nPUSH 95\nSTORE.state\nHALT", { state: 100 }), expect: { status: "HALT" } },
    { name: "limit/overhead-per-entry", description: "two one-byte keys with empty values count 2*(overhead+1)", source: main(".data 0 hex:0102\nPUSH 0\nPUSH 1\nPUSH 0\nPUSH 0\nSTORE.state\nPUSH 1\nPUSH 1\nPUSH 0\nPUSH 0\nSTORE.state\nHALT", { state: 2 * (OVER + 1) - 1 }), expect: { status: "TRAP", code: "STATE_LIMIT_EXCEEDED" } },
    { name: "limit/zero-state", description: "max_state_size 0 forbids any entry", source: main("PUSH 0\nPUSH 1\nPUSH 0\nPUSH 0\nSTORE.state\nHALT", { state: 0 }), expect: { status: "TRAP", code: "STATE_LIMIT_EXCEEDED" } },
    { name: "del/present", description: "STORE.del removes an entry", source: main('.data 0 "k"\nPUSH 0\nPUSH 1\nSTORE.del\nHALT'), state: stateOf({ k: "v", j: "w" }), expect: { state: st({ j: "w" }), cycles: 1 + 1 + c("STORE.m8") + 2 + c("STORE.del") + COSTS["STORE.del"].per! + c("HALT") } },
    { name: "del/absent", description: "STORE.del of an absent key does nothing", source: main('.data 0 "q"\nPUSH 0\nPUSH 1\nSTORE.del\nHALT'), state: stateOf({ k: "v" }), expect: { state: st({ k: "v" }) } },
    { name: "del/frees-space", description: "deleting frees space for a new entry", source: main("PUSH 0\nPUSH 1\nSTORE.del\nPUSH 1\nPUSH 1\nPUSH 0\nPUSH 5\nSTORE.state\nHALT", { state: 10 }), state: new Map([["00", new Uint8Array(5)]]), expect: { status: "HALT" } },
    { name: "del/key-empty", description: "STORE.del with a zero-length key", source: main("PUSH 0\nPUSH 0\nSTORE.del\nHALT"), expect: { status: "TRAP", code: "INVALID_STATE_KEY" } },
    { name: "del/underflow", description: "STORE.del needs two values", source: main("PUSH 0\nSTORE.del\nHALT"), expect: { status: "TRAP", code: "STACK_UNDERFLOW" } },
    { name: "rollback/abort", description: "ABORT discards stores: state_hash is the prior state's", source: main(put("k", "v") + "\nPUSH 1\nABORT"), state: stateOf({ a: "b" }), expect: { status: "ABORT", code: "1", state: st({ a: "b" }) } },
    { name: "rollback/trap", description: "a trap after a store discards it", source: main(put("k", "v") + "\nPUSH 1\nPUSH 0\nDIV"), state: stateOf({ a: "b" }), expect: { status: "TRAP", code: "DIVISION_BY_ZERO", state: st({ a: "b" }) } },
    { name: "rollback/delete-then-abort", description: "a delete is undone by ABORT", source: main('.data 0 "a"\nPUSH 0\nPUSH 1\nSTORE.del\nPUSH 2\nABORT'), state: stateOf({ a: "b" }), expect: { status: "ABORT", state: st({ a: "b" }) } },
    { name: "read-your-writes", description: "a value stored earlier in the call is visible to LOAD.state", source: main(put("k", "hello") + "\n" + get("k", 16) + "\nPUSH 128\nPUSH 5\nEMIT\nHALT", { rets: 1 }), expect: { returns: [5n], output: hex(ascii("hello")) } },
    { name: "prior/unchanged-on-halt", description: "a call that does not store keeps the prior state", source: main("HALT"), state: stateOf({ x: "1", y: "2" }), expect: { state: st({ x: "1", y: "2" }) } },
    { name: "many-entries", description: "forty entries written in a loop, in bytewise key order", source: main("PUSH 40\ntop:\nDUP\nJZ done\nPUSH 1\nSUB\nDUP\nPUSH 0\nSTORE.m8\nPUSH 0\nPUSH 1\nPUSH 0\nPUSH 1\nSTORE.state\nJMP top\ndone:\nHALT", { state: 4096 }), expect: { status: "HALT" } },
  ] satisfies VectorDef[],
};
