/**
 * Program and job generators for differential fuzzing. Everything is driven by
 * one seeded PRNG, so `--seed S --count N` names the same N jobs on every
 * machine. Programs are built as instruction lists (so a divergence can be
 * minimised instruction by instruction) and encoded with the assembler.
 */
import { OPCODES, SPACES, Limit, intrinsicOf, rehashOf, type OpInfo, type OperandRole } from "../generated/opcodes.ts";
import { encodePushImmediate } from "../asm/index.ts";
import { encodeJob, makeContract } from "../model/codec.ts";
import { bytesToHex } from "../model/bytes.ts";
import { makeJob } from "../model/job.ts";
import type { StateMap } from "../model/types.ts";
import { ed25519 } from "@noble/curves/ed25519.js";

/** xoshiro128** — small, fast, and identical everywhere. */
export class Rng {
  private s: Uint32Array;
  constructor(seed: number) {
    this.s = new Uint32Array(4);
    let x = (seed >>> 0) || 0x9e3779b9;
    for (let i = 0; i < 4; i++) {
      // splitmix32 to spread the seed
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }
  u32(): number {
    const s = this.s;
    const r = Math.imul(((Math.imul(s[1], 5) << 7) | (Math.imul(s[1], 5) >>> 25)), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t;
    s[3] = ((s[3] << 11) | (s[3] >>> 21)) >>> 0;
    return r;
  }
  int(n: number): number { return n <= 0 ? 0 : this.u32() % n; }
  chance(p: number): boolean { return this.u32() / 0x100000000 < p; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }
  bytes(n: number): Uint8Array { return Uint8Array.from({ length: n }, () => this.u32() & 0xff); }
  i64(): bigint { return BigInt.asIntN(64, (BigInt(this.u32()) << 32n) | BigInt(this.u32())); }
}

const MIN = -(1n << 63n), MAX = (1n << 63n) - 1n;
const EDGE = [0n, 1n, -1n, 2n, 7n, 63n, 64n, -64n, 255n, 256n, 1n << 31n, 1n << 32n, MAX, MIN, MAX - 1n, MIN + 1n];

/** One instruction of a generated program: mnemonic plus its immediate. */
export interface Insn { op: OpInfo; imm?: bigint | number }

export function encodeInsns(insns: Insn[]): Uint8Array {
  const out: number[] = [];
  for (const i of insns) {
    out.push(i.op.byte);
    if (i.op.immediate === "push") out.push(...encodePushImmediate(i.imm as bigint));
    else if (i.op.immediate === "space") out.push(i.imm as number);
    else if (i.op.immediate === "target") out.push((i.imm as number) & 0xff, ((i.imm as number) >> 8) & 0xff);
  }
  return Uint8Array.from(out);
}

const OP = new Map(OPCODES.map((o) => [o.mnemonic, o]));
const push = (v: bigint): Insn => ({ op: OP.get("PUSH")!, imm: v });

export interface FuzzCase {
  kind: string;
  job: Uint8Array;
  /** The instruction list, when the job came from one (for minimisation). */
  insns?: Insn[];
  rebuild?: (insns: Insn[]) => Uint8Array;
}

interface Shape { memory: number; cycles: number; stateSize: number; rets: number; args: bigint[]; input: Uint8Array; state: StateMap }

function jobFor(code: Uint8Array, s: Shape, rng: Rng): Uint8Array {
  const self = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
  const other = Uint8Array.from({ length: 16 }, (_, i) => 0x50 + i);
  // Both contract versions (SPEC §5): v1, and v2 with its intrinsic charge. A v2 job mostly gets
  // max_cycles raised by about its intrinsic charge, so its program runs; sometimes not, so the
  // charge before the first instruction is exercised too.
  const version = rng.chance(0.5) ? 1 : 2;
  const epoch = BigInt(rng.int(1000));
  const selfBalance = BigInt(rng.int(1000));
  const raise = version === 2 && rng.chance(0.85);
  const build = (maxCycles: number): Uint8Array => {
    const contract = makeContract({ code, maxMemory: s.memory, maxCycles, maxStateSize: s.stateSize, functions: [{ name: "f", entry: 0, args: s.args.length, rets: s.rets }], version });
    return encodeJob(makeJob(contract, {
      args: s.args,
      input: s.input,
      sender: Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i),
      self,
      epoch,
      balances: new Map([[bytesToHex(self), selfBalance], [bytesToHex(other), 5n]]),
      state: s.state,
    }));
  };
  const first = build(s.cycles);
  if (!raise) return first;
  let size = 0;
  for (const [k, v] of s.state) size += Limit.STATE_ENTRY_OVERHEAD + k.length / 2 + v.length;
  // The instruction count is at most the code's length; the HALT of a call that stores pays the rehash row.
  const intrinsic = intrinsicOf("v2", { jobBytes: first.length, codeBytes: code.length, instructions: code.length, entries: s.state.size + 2, stateSize: size, maxMemory: s.memory });
  return build(Math.min(Limit.MAX_CYCLES, s.cycles + intrinsic + rehashOf("v2", s.state.size + 8)));
}

/** A value an operand of this role (the opcode table's operands column) might plausibly take: mostly in range, sometimes just outside. */
function operand(rng: Rng, role: OperandRole, memory: number): bigint {
  switch (role) {
    case "addr": return rng.chance(0.9) ? BigInt(rng.int(Math.max(1, memory))) : rng.pick([-1n, BigInt(memory), BigInt(memory - 1), BigInt(memory + 1), MAX]);
    case "len": return rng.chance(0.85) ? BigInt(rng.int(Math.min(96, memory + 1))) : rng.pick([-1n, 0n, BigInt(memory), BigInt(memory + 1), 65n]);
    case "klen": return rng.chance(0.9) ? BigInt(1 + rng.int(8)) : rng.pick([0n, 64n, 65n, -1n]);
    case "shift": return rng.chance(0.85) ? BigInt(rng.int(64)) : rng.pick([64n, -1n, 100n]);
    case "value": return rng.chance(0.5) ? rng.pick(EDGE) : rng.chance(0.5) ? BigInt(rng.int(20) - 5) : rng.i64();
  }
}

/**
 * A straight-line-with-jumps program from the opcode table with plausible
 * stack use: each instruction gets its operands pushed just before it, jumps
 * go forward to instruction starts, and the program ends in HALT.
 */
export function structuredProgram(rng: Rng, memory: number): { insns: Insn[]; rets: number } {
  const insns: Insn[] = [];
  const n = 1 + rng.int(24);
  const spaceOps: { op: OpInfo; space: number; key: string; operands: readonly OperandRole[] }[] = [];
  for (const o of OPCODES) if (o.immediate === "space") for (const s of SPACES) { const e = s[o.mnemonic as "LOAD" | "STORE"]; if (e) spaceOps.push({ op: o, space: s.byte, key: `${o.mnemonic}.${s.name}`, operands: e.operands }); }
  let depth = 0;
  const pendingJumps: number[] = [];
  for (let k = 0; k < n; k++) {
    const choice = rng.int(OPCODES.length + spaceOps.length);
    if (choice >= OPCODES.length) {
      const s = spaceOps[choice - OPCODES.length];
      for (const r of s.operands) insns.push(push(operand(rng, r, memory)));
      insns.push({ op: s.op, imm: s.space });
      depth += (s.key.startsWith("LOAD") ? 1 : 0);
      continue;
    }
    const op = OPCODES[choice];
    if (op.mnemonic === "HALT" || op.mnemonic === "RET" || op.mnemonic === "ABORT") {
      if (rng.chance(0.7)) continue; // mostly keep going
    }
    if (op.immediate === "target") {
      if (op.mnemonic === "JZ" || op.mnemonic === "JNZ") insns.push(push(rng.chance(0.5) ? 0n : 1n));
      pendingJumps.push(insns.length);
      insns.push({ op, imm: 0 });
      continue;
    }
    if (op.immediate === "push") { insns.push(push(operand(rng, "value", memory))); depth++; continue; }
    // Operands that name ranges, keys or shifts get plausible values; plain values come from the stack when it has them.
    const ranged = op.operands.some((r) => r !== "value");
    const pops = typeof op.pops === "number" ? op.pops : 0;
    if (ranged) for (const r of op.operands) insns.push(push(operand(rng, r, memory)));
    else for (let i = 0; i < pops; i++) if (depth-- <= 0 || rng.chance(0.3)) { insns.push(push(operand(rng, "value", memory))); depth = Math.max(depth, 0); }
    insns.push({ op });
    depth += typeof op.pushes === "number" ? op.pushes : 0;
  }
  const rets = rng.int(3);
  for (let i = 0; i < rets; i++) insns.push(push(operand(rng, "value", memory)));
  insns.push({ op: OP.get("HALT")! });
  // Resolve jumps to random instruction starts after them (forward only: no accidental infinite loops).
  const offsets: number[] = [];
  let off = 0;
  for (const i of insns) { offsets.push(off); off += encodeInsns([i]).length; }
  for (const j of pendingJumps) {
    const target = j + 1 + rng.int(insns.length - j - 1);
    insns[j].imm = rng.chance(0.97) ? offsets[Math.min(target, insns.length - 1)] : rng.int(off + 2);
  }
  return { insns, rets };
}

function randomState(rng: Rng): StateMap {
  const s: StateMap = new Map();
  const n = rng.int(4);
  for (let i = 0; i < n; i++) s.set(bytesToHex(rng.bytes(1 + rng.int(8))), rng.bytes(rng.int(16)));
  return s;
}

/** Valid Ed25519 triples from fixed seeds, so crypto ops see accepting inputs too. */
let sigPool: { pk: Uint8Array; sig: Uint8Array; msg: Uint8Array }[] | undefined;
function signatures() {
  sigPool ??= [0, 1, 2, 3].map((i) => {
    const sk = Uint8Array.from({ length: 32 }, (_, j) => (i * 37 + j * 11) & 0xff);
    const msg = Uint8Array.from({ length: i * 9 }, (_, j) => (i + j) & 0xff);
    return { pk: ed25519.getPublicKey(sk), sig: ed25519.sign(msg, sk), msg };
  });
  return sigPool;
}

/** HASH / VERIFY_SIG / VERIFY_VRF over a valid signature with occasional damage. */
function cryptoCase(rng: Rng, shape: Shape): FuzzCase {
  const t = rng.pick(signatures());
  const input = new Uint8Array(96 + t.msg.length);
  input.set(t.pk, 0); input.set(t.sig, 32); input.set(t.msg, 96);
  if (rng.chance(0.5)) input[rng.int(input.length)] ^= 1 << rng.int(8);
  if (rng.chance(0.1)) input.set(rng.pick([new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31)), new Uint8Array(32).fill(0xff)]), rng.chance(0.5) ? 0 : 32);
  const s = { ...shape, memory: 1024, input, rets: 1, args: [] };
  const which = rng.int(3);
  const insns: Insn[] = which === 0
    ? [push(0n), push(96n), push(BigInt(t.msg.length)), push(32n), { op: OP.get("VERIFY_SIG")! }, { op: OP.get("HALT")! }]
    : which === 1
      ? [push(0n), push(BigInt(rng.int(input.length + 1))), push(512n), { op: OP.get("HASH")! }, push(512n), push(32n), { op: OP.get("EMIT")! }, push(1n), { op: OP.get("HALT")! }]
      : [push(0n), push(96n), push(BigInt(rng.int(8))), push(16n), push(900n), { op: OP.get("VERIFY_VRF")! }, { op: OP.get("HALT")! }];
  const fixedSeed = rng.u32();
  const rebuild = (xs: Insn[]) => jobFor(encodeInsns(xs), s, new Rng(fixedSeed));
  return { kind: "crypto", job: rebuild(insns), insns, rebuild };
}

export function generateCase(rng: Rng, seedVectors: Uint8Array[]): FuzzCase {
  const memory = rng.pick([0, 16, 64, 256, 1024]);
  const kind = rng.int(100);
  if (kind < 5) return { kind: "random-bytes", job: rng.bytes(rng.int(200)) };
  if (kind < 20 && seedVectors.length) {
    const base = seedVectors[rng.int(seedVectors.length)].slice();
    const flips = 1 + rng.int(4);
    for (let i = 0; i < flips && base.length; i++) base[rng.int(base.length)] ^= 1 << rng.int(8);
    return { kind: "mutated-vector", job: base };
  }
  const shape: Shape = {
    memory,
    cycles: rng.chance(0.2) ? rng.int(60) : 100_000,
    stateSize: rng.pick([0, 16, 64, 4096]),
    rets: 0,
    args: Array.from({ length: rng.int(3) }, () => operand(rng, "value", memory)),
    input: rng.bytes(rng.int(Math.min(memory, 48) + 1)),
    state: randomState(rng),
  };
  if (kind < 30) {
    return { kind: "random-code", job: jobFor(rng.bytes(1 + rng.int(40)), shape, rng) };
  }
  if (kind < 38) {
    // A counting loop whose cost lands near max_cycles.
    const n = 1 + rng.int(200);
    const per = 1 + 3 + 1 + 1 + 2; // DUP JZ PUSH SUB JMP
    const total = 1 + n * per + 1 + 3 + 2;
    const insns: Insn[] = [push(BigInt(n)), { op: OP.get("DUP")! }, { op: OP.get("JZ")!, imm: 0 }, push(1n), { op: OP.get("SUB")! }, { op: OP.get("JMP")!, imm: 2 }, { op: OP.get("HALT")! }];
    const offs = [0]; for (const i of insns) offs.push(offs[offs.length - 1] + encodeInsns([i]).length);
    insns[2].imm = offs[6];
    insns[5].imm = offs[1];
    const s = { ...shape, args: [], cycles: total + rng.int(7) - 3, rets: 1 };
    const rebuild = (xs: Insn[]) => jobFor(encodeInsns(xs), s, new Rng(1));
    return { kind: "loop-near-limit", job: rebuild(insns), insns, rebuild };
  }
  if (kind < 48) return cryptoCase(rng, shape);
  const { insns, rets } = structuredProgram(rng, memory);
  const s = { ...shape, args: [], rets: Math.min(rets, Limit.MAX_RETURNS) };
  const fixedSeed = rng.u32();
  const rebuild = (xs: Insn[]) => jobFor(encodeInsns(xs), s, new Rng(fixedSeed));
  return { kind: "structured", job: rebuild(insns), insns, rebuild };
}
