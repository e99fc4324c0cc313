/** Memory spaces of LOAD/STORE, MSIZE, the input at address 0 (SPEC §3, §9.7). */
import { COST_TABLES } from "../../host-ts/src/generated/opcodes.ts";
// The vectors of this file are contract version 1: table v1 (gen-vectors.ts derives their version-2 twins).
const COSTS = COST_TABLES.v1;
import { main, MIN, MAX, hex, type DefFile, type VectorDef } from "./lib.ts";

const c = (k: string) => COSTS[k].base;
const widths = [["m8", 1], ["m16", 2], ["m32", 4], ["m64", 8]] as const;
const MEM = 256;

const mask = (v: bigint, w: number) => (w === 8 ? BigInt.asIntN(64, v) : BigInt.asUintN(8 * w, v));

export const memory: DefFile = {
  category: "memory",
  description: "LOAD/STORE m8 m16 m32 m64 and copy, LOAD.inlen, MSIZE; little-endian, zero-extension, truncation, bounds at the last byte",
  vectors: [
    ...widths.flatMap(([sp, w]) =>
      [0n, 1n, -1n, 0x1234n, MAX, MIN, 0x0102030405060708n].map((v): VectorDef => ({
        name: `${sp}/store-load-${v < 0n ? "m" + (-v).toString(16) : v.toString(16)}`,
        description: `STORE.${sp} of ${v} then LOAD.${sp} gives the low ${w} byte(s), ${w === 8 ? "as stored" : "zero-extended"}`,
        source: main(`PUSH ${v}\nPUSH 16\nSTORE.${sp}\nPUSH 16\nLOAD.${sp}\nHALT`, { rets: 1, memory: MEM }),
        expect: { status: "HALT", returns: [mask(v, w)], cycles: 2 + c(`STORE.${sp}`) + 1 + c(`LOAD.${sp}`) + c("HALT") },
      })),
    ),
    ...widths.flatMap(([sp, w]): VectorDef[] => [
      { name: `${sp}/last-address`, description: `LOAD.${sp} at max_memory-${w} is in bounds`, source: main(`PUSH ${MEM - w}\nLOAD.${sp}\nHALT`, { rets: 1, memory: MEM }), expect: { status: "HALT", returns: [0n] } },
      { name: `${sp}/load-one-past`, description: `LOAD.${sp} at max_memory-${w}+1 traps MEMORY_OUT_OF_BOUNDS without charging`, source: main(`PUSH ${MEM - w + 1}\nLOAD.${sp}\nHALT`, { memory: MEM }), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS", cycles: 1 } },
      { name: `${sp}/store-one-past`, description: `STORE.${sp} reaching past the end traps`, source: main(`PUSH 1\nPUSH ${MEM - w + 1}\nSTORE.${sp}\nHALT`, { memory: MEM }), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS", cycles: 2 } },
      { name: `${sp}/negative-address`, description: `LOAD.${sp} at -1 traps`, source: main(`PUSH -1\nLOAD.${sp}\nHALT`, { memory: MEM }), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS" } },
      { name: `${sp}/huge-address`, description: `LOAD.${sp} at MAX (no wrap-around)`, source: main(`PUSH ${MAX}\nLOAD.${sp}\nHALT`, { memory: MEM }), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS" } },
      { name: `${sp}/underflow`, description: `LOAD.${sp} on an empty stack`, source: main(`LOAD.${sp}\nHALT`, { memory: MEM }), expect: { status: "TRAP", code: "STACK_UNDERFLOW" } },
      { name: `${sp}/store-underflow`, description: `STORE.${sp} with one value`, source: main(`PUSH 0\nSTORE.${sp}\nHALT`, { memory: MEM }), expect: { status: "TRAP", code: "STACK_UNDERFLOW" } },
    ]),
    { name: "endian/little", description: "memory is little-endian: bytes 01 02 .. 08 read as m64 0x0807060504030201", source: main('.data 0 hex:0102030405060708\nPUSH 0\nLOAD.m64\nPUSH 1\nLOAD.m16\nHALT', { rets: 2, memory: MEM }), expect: { returns: [0x0807060504030201n, 0x0302n] } },
    { name: "unaligned/m32", description: "unaligned access is allowed", source: main('.data 0 hex:00112233445566\nPUSH 3\nLOAD.m32\nHALT', { rets: 1, memory: MEM }), expect: { returns: [0x66554433n] } },
    { name: "zero-memory/msize", description: "a contract with max_memory 0 has MSIZE 0", source: main("MSIZE\nHALT", { rets: 1, memory: 0 }), expect: { returns: [0n], cycles: c("MSIZE") + c("HALT") } },
    { name: "zero-memory/any-load-traps", description: "with max_memory 0 every access traps", source: main("PUSH 0\nLOAD.m8\nHALT", { memory: 0 }), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS" } },
    { name: "msize/value", description: "MSIZE is max_memory", source: main("MSIZE\nHALT", { rets: 1, memory: 1000 }), expect: { returns: [1000n] } },
    { name: "msize/overflow", description: "MSIZE on a full stack traps STACK_OVERFLOW", source: main("PUSH 0\n".repeat(256) + "MSIZE\nHALT"), expect: { status: "TRAP", code: "STACK_OVERFLOW" } },
    { name: "memory/zero-initialised", description: "memory starts zeroed beyond the input", source: main("PUSH 100\nLOAD.m64\nHALT", { rets: 1, memory: MEM }), input: Uint8Array.from([1, 2, 3]), expect: { returns: [0n] } },
    { name: "input/at-zero", description: "the job input is copied to address 0", source: main("PUSH 0\nLOAD.m32\nHALT", { rets: 1, memory: MEM }), input: Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x55]), expect: { returns: [0xefbeadden] } },
    { name: "input/inlen", description: "LOAD.inlen pushes the input length", source: main("LOAD.inlen\nHALT", { rets: 1, memory: MEM }), input: new Uint8Array(77), expect: { returns: [77n], cycles: c("LOAD.inlen") + c("HALT") } },
    { name: "input/inlen-empty", description: "LOAD.inlen of an empty input is 0", source: main("LOAD.inlen\nHALT", { rets: 1, memory: MEM }), expect: { returns: [0n] } },
    { name: "input/fills-memory", description: "an input exactly max_memory long fills memory", source: main(`PUSH ${MEM - 1}\nLOAD.m8\nLOAD.inlen\nHALT`, { rets: 2, memory: MEM }), input: Uint8Array.from({ length: MEM }, (_, i) => i & 0xff), expect: { returns: [255n, 256n] } },
    { name: "copy/basic", description: "STORE.copy copies bytes", source: main('.data 0 "abcdefgh"\nPUSH 100\nPUSH 0\nPUSH 8\nSTORE.copy\nPUSH 100\nPUSH 8\nEMIT\nHALT', { memory: MEM }), expect: { output: hex(new TextEncoder().encode("abcdefgh")) } },
    { name: "copy/overlap-forward", description: "STORE.copy with dst > src overlapping behaves like memmove", source: main('.data 0 "abcdefgh"\nPUSH 2\nPUSH 0\nPUSH 6\nSTORE.copy\nPUSH 0\nPUSH 8\nEMIT\nHALT', { memory: MEM }), expect: { output: hex(new TextEncoder().encode("ababcdef")) } },
    { name: "copy/overlap-backward", description: "STORE.copy with dst < src overlapping behaves like memmove", source: main('.data 0 "abcdefgh"\nPUSH 0\nPUSH 2\nPUSH 6\nSTORE.copy\nPUSH 0\nPUSH 8\nEMIT\nHALT', { memory: MEM }), expect: { output: hex(new TextEncoder().encode("cdefghgh")) } },
    { name: "copy/zero-length-at-end", description: "a zero-length copy at max_memory is in bounds", source: main(`PUSH ${MEM}\nPUSH ${MEM}\nPUSH 0\nSTORE.copy\nHALT`, { memory: MEM }), expect: { status: "HALT", cycles: 3 + c("STORE.copy") + c("HALT") } },
    { name: "copy/cost-per-32", description: "STORE.copy of 33 bytes costs base + 2 units", source: main(`PUSH 64\nPUSH 0\nPUSH 33\nSTORE.copy\nHALT`, { memory: MEM }), expect: { cycles: 3 + c("STORE.copy") + 2 * COSTS["STORE.copy"].per! + c("HALT") } },
    { name: "copy/src-out-of-bounds", description: "source range past the end traps", source: main(`PUSH 0\nPUSH ${MEM - 4}\nPUSH 5\nSTORE.copy\nHALT`, { memory: MEM }), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS", cycles: 3 } },
    { name: "copy/dst-out-of-bounds", description: "destination range past the end traps", source: main(`PUSH ${MEM - 4}\nPUSH 0\nPUSH 5\nSTORE.copy\nHALT`, { memory: MEM }), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS" } },
    { name: "copy/negative-length", description: "a negative length traps", source: main(`PUSH 0\nPUSH 0\nPUSH -1\nSTORE.copy\nHALT`, { memory: MEM }), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS" } },
    { name: "copy/underflow", description: "STORE.copy with two values", source: main(`PUSH 0\nPUSH 0\nSTORE.copy\nHALT`, { memory: MEM }), expect: { status: "TRAP", code: "STACK_UNDERFLOW" } },
    overlapSweep(),
    { name: "copy/whole-memory", description: "copying half of a 32 KiB memory onto the other half", source: main(`PUSH 16384\nPUSH 0\nPUSH 16384\nSTORE.copy\nPUSH 32767\nLOAD.m8\nHALT`, { rets: 1, memory: 32768 }), input: Uint8Array.from({ length: 16384 }, (_, i) => (i * 7) & 0xff), expect: { returns: [BigInt((16383 * 7) & 0xff)] } },
  ],
};

/**
 * Overlapping STORE.copy at every relative alignment and every gap from 1 to 80
 * bytes, both directions, lengths 1..127, one after another on one buffer (a
 * wrong move spoils every later case's bytes), then the buffer EMITted. The
 * engines' memmove takes different paths by gap and alignment (the Xtensa
 * ports' word loops below 64 bytes, memcpy runs above), so this checks each
 * against the JS copyWithin that computes the expected bytes.
 */
function overlapSweep(): VectorDef {
  const BUF = 600;
  const TABLE = 1024;
  const P = 8000; // the table cursor, an m64 in memory
  const buf = Uint8Array.from({ length: BUF }, (_, i) => (i * 151 + 17) & 0xff);
  const cases: [number, number, number][] = [];
  for (let gap = 1; gap <= 80; gap++)
    for (let a = 0; a < 4; a++)
      for (const up of [false, true]) {
        const base = 200 + a;
        const n = 1 + ((gap * 13 + a * 7 + (up ? 5 : 0)) % 127);
        cases.push(up ? [base + gap, base, n] : [base, base + gap, n]);
      }
  const table = new Uint8Array(cases.length * 6);
  const view = new DataView(table.buffer);
  cases.forEach(([d, s, n], i) => {
    view.setUint16(6 * i, d, true);
    view.setUint16(6 * i + 2, s, true);
    view.setUint16(6 * i + 4, n, true);
  });
  const expected = buf.slice();
  for (const [d, s, n] of cases) expected.copyWithin(d, s, s + n);
  const input = new Uint8Array(TABLE + table.length);
  input.set(buf);
  input.set(table, TABLE);
  const cur = `PUSH ${P}\nLOAD.m64`;
  const source = main(
    [
      `PUSH ${TABLE}`, `PUSH ${P}`, "STORE.m64",
      "next:",
      cur, "LOAD.m16",
      cur, "PUSH 2", "ADD", "LOAD.m16",
      cur, "PUSH 4", "ADD", "LOAD.m16",
      "STORE.copy",
      cur, "PUSH 6", "ADD", "DUP", `PUSH ${P}`, "STORE.m64",
      `PUSH ${TABLE + table.length}`, "LT", "JNZ next",
      "PUSH 0", `PUSH ${BUF}`, "EMIT", "HALT",
    ].join("\n"),
    { memory: 8192, cycles: 400000 },
  );
  return { name: "copy/overlap-sweep", description: `${cases.length} overlapping STORE.copy moves (gaps 1..80, every alignment, both directions) on one buffer behave like memmove`, source, input, expect: { status: "HALT", output: hex(expected) } };
}
