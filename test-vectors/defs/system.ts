/** System ops over the job's captured context (SPEC §6, §9.7): BALANCE SENDER SELF EPOCH TRANSFER LOG EMIT. */
import { COST_TABLES, Limit } from "../../host-ts/src/generated/opcodes.ts";
// The vectors of this file are contract version 1: table v1 (gen-vectors.ts derives their version-2 twins).
const COSTS = COST_TABLES.v1;
import { main, hex, MAX, MIN, SENDER, SELF, OTHER, type DefFile, type VectorDef } from "./lib.ts";

const c = (k: string) => COSTS[k].base;
const id = (b: Uint8Array) => `hex:${hex(b)}`;
const bal = (entries: [Uint8Array, bigint][]) => Object.fromEntries(entries.map(([k, v]) => [hex(k), v]));

/** TRANSFER of amount to OTHER (written at 0), leaving ok on the stack. */
const transfer = (amount: bigint | number) => `PUSH 0\nPUSH ${amount}\nTRANSFER`;
const withOther = (body: string, rets = 1) => main(`.data 0 ${id(OTHER)}\n${body}\nHALT`, { rets });

export const system: DefFile = {
  category: "system",
  description: "BALANCE SENDER SELF EPOCH TRANSFER LOG EMIT over the captured context; TRANSFER/LOG/EMIT limits; side effects only on HALT",
  vectors: [
    { name: "sender/value", description: "SENDER writes the caller's NodeID", source: main("PUSH 32\nSENDER\nPUSH 32\nPUSH 16\nEMIT\nHALT"), expect: { output: hex(SENDER), cycles: 1 + c("SENDER") + 2 + c("EMIT") + COSTS.EMIT.per! + c("HALT") } },
    { name: "self/value", description: "SELF writes the executing node's NodeID", source: main("PUSH 32\nSELF\nPUSH 32\nPUSH 16\nEMIT\nHALT"), expect: { output: hex(SELF) } },
    { name: "sender/out-of-bounds", description: "SENDER needs 16 bytes at dst", source: main("PUSH 241\nSENDER\nHALT"), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS", cycles: 1 } },
    { name: "sender/last-fit", description: "SENDER at max_memory-16 fits", source: main("PUSH 240\nSENDER\nHALT"), expect: { status: "HALT" } },
    { name: "self/out-of-bounds", description: "SELF needs 16 bytes at dst", source: main("PUSH -1\nSELF\nHALT"), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS" } },
    { name: "sender/underflow", description: "SENDER on an empty stack", source: main("SENDER\nHALT"), expect: { status: "TRAP", code: "STACK_UNDERFLOW" } },
    { name: "self/underflow", description: "SELF on an empty stack", source: main("SELF\nHALT"), expect: { status: "TRAP", code: "STACK_UNDERFLOW" } },
    ...[0n, 7n, MAX].map((e): VectorDef => ({ name: `epoch/${e === MAX ? "max" : e}`, description: `EPOCH pushes the job's epoch ${e}`, source: main("EPOCH\nHALT", { rets: 1 }), epoch: e, expect: { returns: [e], cycles: c("EPOCH") + c("HALT") } })),
    { name: "epoch/overflow", description: "EPOCH on a full stack", source: main("PUSH 0\n".repeat(256) + "EPOCH\nHALT"), expect: { status: "TRAP", code: "STACK_OVERFLOW" } },
    { name: "balance/present", description: "BALANCE reads the snapshot", source: withOther("PUSH 0\nBALANCE"), balances: bal([[OTHER, 12345n], [SELF, 1n]]), expect: { returns: [12345n], cycles: 2 * 5 + 1 + c("BALANCE") + c("HALT") } },
    { name: "balance/absent", description: "BALANCE of a NodeID without an entry is 0", source: withOther("PUSH 0\nBALANCE"), balances: bal([[SELF, 5n]]), expect: { returns: [0n] } },
    { name: "balance/max", description: "the largest balance a context may hold", source: withOther("PUSH 0\nBALANCE"), balances: bal([[OTHER, MAX]]), expect: { returns: [MAX] } },
    { name: "balance/self-after-transfer", description: "recorded transfers do not change what BALANCE reports", source: main(`.data 0 ${id(OTHER)}\n.data 16 ${id(SELF)}\n${transfer(10)}\nPOP\nPUSH 16\nBALANCE\nHALT`, { rets: 1 }), balances: bal([[SELF, 100n]]), expect: { returns: [100n] } },
    { name: "balance/out-of-bounds", description: "BALANCE needs 16 bytes at id", source: main("PUSH 250\nBALANCE\nHALT"), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS" } },
    { name: "balance/underflow", description: "BALANCE on an empty stack", source: main("BALANCE\nHALT"), expect: { status: "TRAP", code: "STACK_UNDERFLOW" } },
    { name: "transfer/ok", description: "TRANSFER within SELF's balance records it and pushes 1", source: withOther(transfer(40)), balances: bal([[SELF, 100n]]), expect: { returns: [1n], transfers: [{ to: hex(OTHER), amount: 40n }] } },
    { name: "transfer/exact-balance", description: "transferring the whole balance succeeds", source: withOther(transfer(100)), balances: bal([[SELF, 100n]]), expect: { returns: [1n], transfers: [{ to: hex(OTHER), amount: 100n }] } },
    { name: "transfer/insufficient", description: "one more than the balance pushes 0 and records nothing", source: withOther(transfer(101)), balances: bal([[SELF, 100n]]), expect: { returns: [0n], transfers: [] } },
    { name: "transfer/no-balance", description: "SELF without a snapshot entry has balance 0", source: withOther(transfer(1)), balances: {}, expect: { returns: [0n] } },
    { name: "transfer/cumulative", description: "available = balance minus transfers already recorded", source: withOther(`${transfer(60)}\n${transfer(60)}\n${transfer(40)}`, 3), balances: bal([[SELF, 100n]]), expect: { returns: [1n, 0n, 1n], transfers: [{ to: hex(OTHER), amount: 60n }, { to: hex(OTHER), amount: 40n }] } },
    { name: "transfer/zero-amount", description: "amount 0 traps INVALID_AMOUNT before charging", source: withOther(transfer(0)), expect: { status: "TRAP", code: "INVALID_AMOUNT", cycles: 2 * 5 + 2 } },
    { name: "transfer/negative-amount", description: "a negative amount traps INVALID_AMOUNT", source: withOther(transfer(-5)), expect: { status: "TRAP", code: "INVALID_AMOUNT" } },
    { name: "transfer/min-amount", description: "MIN as amount traps INVALID_AMOUNT", source: withOther(transfer(MIN)), expect: { status: "TRAP", code: "INVALID_AMOUNT" } },
    { name: "transfer/range-before-amount", description: "the NodeID range is checked before the amount", source: main(`PUSH 250\nPUSH 0\nTRANSFER\nHALT`), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS" } },
    { name: "transfer/underflow", description: "TRANSFER needs two values", source: main("PUSH 1\nTRANSFER\nHALT"), expect: { status: "TRAP", code: "STACK_UNDERFLOW" } },
    { name: "transfer/sixteen", description: "MAX_TRANSFERS transfers are recorded", source: withOther(Array.from({ length: 16 }, () => transfer(1) + "\nPOP").join("\n"), 0), balances: bal([[SELF, 100n]]), expect: { status: "HALT", transfers: Array.from({ length: 16 }, () => ({ to: hex(OTHER), amount: 1n })) } },
    { name: "transfer/seventeenth", description: "a 17th transfer that would succeed traps TRANSFER_LIMIT_EXCEEDED", source: withOther(Array.from({ length: 17 }, () => transfer(1) + "\nPOP").join("\n"), 0), balances: bal([[SELF, 100n]]), expect: { status: "TRAP", code: "TRANSFER_LIMIT_EXCEEDED", transfers: [] } },
    { name: "transfer/seventeenth-insufficient", description: "a 17th transfer without funds pushes 0 instead of trapping", source: withOther(Array.from({ length: 16 }, () => transfer(1) + "\nPOP").join("\n") + "\n" + transfer(1000), 1), balances: bal([[SELF, 16n]]), expect: { status: "HALT", returns: [0n] } },
    { name: "transfer/discarded-on-abort", description: "ABORT discards recorded transfers", source: main(`.data 0 ${id(OTHER)}\n${transfer(5)}\nABORT`), balances: bal([[SELF, 100n]]), expect: { status: "ABORT", code: "1", transfers: [] } },
    { name: "log/one", description: "LOG records the bytes", source: main('.data 0 "hi"\nPUSH 0\nPUSH 2\nLOG\nHALT'), expect: { logs: [hex(new TextEncoder().encode("hi"))] } },
    { name: "log/empty", description: "a zero-length LOG record is kept", source: main("PUSH 0\nPUSH 0\nLOG\nHALT"), expect: { logs: [""], cycles: 2 + c("LOG") + c("HALT") } },
    { name: "log/cost", description: "LOG costs base + per 32 bytes", source: main("PUSH 0\nPUSH 65\nLOG\nHALT"), expect: { cycles: 2 + c("LOG") + 3 * COSTS.LOG.per! + c("HALT") } },
    { name: "log/kept-on-abort", description: "logs survive ABORT (they are for debugging)", source: main('.data 0 "why"\nPUSH 0\nPUSH 3\nLOG\nPUSH 7\nABORT'), expect: { status: "ABORT", logs: [hex(new TextEncoder().encode("why"))] } },
    { name: "log/kept-on-trap", description: "logs survive a trap", source: main("PUSH 0\nPUSH 1\nLOG\nPUSH 1\nPUSH 0\nMOD"), expect: { status: "TRAP", code: "DIVISION_BY_ZERO", logs: ["00"] } },
    { name: "log/thirty-two", description: "MAX_LOGS records are allowed", source: main(Array.from({ length: Limit.MAX_LOGS }, () => "PUSH 0\nPUSH 1\nLOG").join("\n") + "\nHALT"), expect: { status: "HALT" } },
    { name: "log/thirty-third", description: "one record more traps LOG_LIMIT_EXCEEDED after charging", source: main(Array.from({ length: Limit.MAX_LOGS + 1 }, () => "PUSH 0\nPUSH 1\nLOG").join("\n") + "\nHALT"), expect: { status: "TRAP", code: "LOG_LIMIT_EXCEEDED" } },
    { name: "log/bytes-at-limit", description: "MAX_LOG_BYTES in total is allowed", source: main(`PUSH 0\nPUSH 1024\nLOG\nPUSH 0\nPUSH 1024\nLOG\nHALT`, { memory: 2048 }), expect: { status: "HALT" } },
    { name: "log/bytes-one-past", description: "one byte more traps LOG_LIMIT_EXCEEDED; earlier records are kept", source: main(`PUSH 0\nPUSH 1024\nLOG\nPUSH 0\nPUSH 1025\nLOG\nHALT`, { memory: 2048 }), expect: { status: "TRAP", code: "LOG_LIMIT_EXCEEDED" } },
    { name: "log/out-of-bounds", description: "LOG range past the end", source: main("PUSH 200\nPUSH 57\nLOG\nHALT"), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS" } },
    { name: "log/underflow", description: "LOG needs two values", source: main("PUSH 0\nLOG\nHALT"), expect: { status: "TRAP", code: "STACK_UNDERFLOW" } },
    { name: "emit/concatenates", description: "EMITs append to the output", source: main('.data 0 "abc"\nPUSH 0\nPUSH 2\nEMIT\nPUSH 1\nPUSH 2\nEMIT\nHALT'), expect: { output: hex(new TextEncoder().encode("abbc")) } },
    { name: "emit/at-limit", description: "MAX_OUTPUT bytes in total are allowed", source: main(`PUSH 0\nPUSH 4000\nEMIT\nPUSH 0\nPUSH 96\nEMIT\nHALT`, { memory: 4096 }), expect: { status: "HALT" } },
    { name: "emit/one-past", description: "one byte more traps OUTPUT_LIMIT_EXCEEDED", source: main(`PUSH 0\nPUSH 4000\nEMIT\nPUSH 0\nPUSH 97\nEMIT\nHALT`, { memory: 4096 }), expect: { status: "TRAP", code: "OUTPUT_LIMIT_EXCEEDED", output: "" } },
    { name: "emit/discarded-on-abort", description: "ABORT discards the output", source: main('.data 0 "x"\nPUSH 0\nPUSH 1\nEMIT\nPUSH 3\nABORT'), expect: { status: "ABORT", output: "" } },
    { name: "emit/out-of-bounds", description: "EMIT range past the end", source: main("PUSH 255\nPUSH 2\nEMIT\nHALT"), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS" } },
    { name: "emit/negative-length", description: "EMIT with a negative length", source: main("PUSH 0\nPUSH -1\nEMIT\nHALT"), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS" } },
    { name: "emit/underflow", description: "EMIT needs two values", source: main("PUSH 0\nEMIT\nHALT"), expect: { status: "TRAP", code: "STACK_UNDERFLOW" } },
  ],
};
