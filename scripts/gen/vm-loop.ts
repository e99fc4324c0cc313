/**
 * interpreter-as/assembly/generated/vm-loop.ts: the dispatch loop, from the
 * hand-written operation bodies in interpreter-as/assembly/vm.ts and the
 * stack effects, immediates and costs of spec/opcodes.json (like Lua's
 * `vmcase`: the per-opcode prologue is generated, only the work is written).
 *
 * In vm.ts every `case OP_X: {` (and `case SPACE_Y: {` inside LOAD/STORE)
 * opens one instruction's body. The generator:
 *   - inserts the STACK phase (SPEC §8.1) after the case line: underflow when
 *     the fixed pops are missing, then overflow when the net growth does not
 *     fit; instructions with a dynamic effect (HALT) or none (CALL, RET, JMP)
 *     get nothing;
 *   - replaces `GAS();` with the GAS phase of a fixed-cost instruction: the
 *     base cost read from a module global `cost_<key>`, which `useCosts`
 *     copies from the job's cost array (`costs`, CK_<key> the byte offset)
 *     where the template says FAST_COSTS(), before the loop;
 *   - replaces `CHARGE(expr);` with the GAS phase of a size-dependent cost the
 *     body computed;
 *   - replaces `NEXT();` with the PROGRAM COUNTER phase of a fall-through
 *     instruction: ip past the opcode and its fixed immediate, next step.
 *
 * Internal opcodes (`const IOP_X: u8 = 0x..;` in vm.ts) are the pre-decoded
 * form the loop runs (SPEC §8.0): each value must be a hole of the opcode map.
 * `case IOP_PUSHB: {` is PUSH with a 1-byte immediate (its phases are PUSH's);
 * a fused `case IOP_A_B: {` gets A's STACK phase, its `GAS();` charges A, and
 * it must end by falling through into `case OP_B: {`, the very next case.
 * A fixed-cost body without `GAS();`, a size-dependent one without
 * `CHARGE(`, or a marker outside a case, is an error.
 *
 * `PUSHB();` is the body of a PUSH with a 1-byte immediate (IOP_PUSHB and the
 * slow paths of the fused cases that start with one).
 *
 * Top of stack: the loop keeps the top value in the local `tos`; the stack
 * memory holds every value below it, and the top's own slot may be stale. A
 * case whose body starts with `TOS();` keeps that true itself. Every other
 * case first stores the top into its slot (so its body, HALT's return values
 * and ABORT's code read an exact stack), and each of its `continue;` (and the
 * one NEXT() becomes) is preceded by a reload of `tos` from the stack.
 *
 * `if (FAST(A, B, ...)) {` ... `} // END_FAST`, first in a fused case, is the
 * fused fast path: it becomes one check that every instruction's STACK phase
 * passes (from the pops and pushes in spec/opcodes.json, simulated in order)
 * and that the fuel covers all their base costs, and one charge of the sum;
 * the body then does the instructions' work without their own checks (the
 * sums are locals computed once per call, where vm.ts says FAST_COSTS();). If the
 * check fails, the case goes on to its first instruction's own phases (the
 * slow path), so every trap and every cycle count is the step-by-step one.
 * A case named after three instructions holds only a fast path and must fall
 * into the fused case of its first two.
 */
import { costKeys, type OpcodeTable } from "../../host-ts/src/spec/table-schema.ts";
import { HEADER, cname } from "./util.ts";

interface Effect { key: string; pops: number | string; pushes: number | string; immediate: string }

function effects(t: OpcodeTable): Map<string, Effect> {
  const m = new Map<string, Effect>();
  for (const o of t.opcodes) {
    if (o.immediate === "space") {
      for (const s of t.spaces) {
        const e = s[o.mnemonic as "LOAD" | "STORE"];
        if (e) m.set(`${o.mnemonic}.${s.name}`, { key: `${o.mnemonic}.${s.name}`, pops: e.pops, pushes: e.pushes, immediate: "space" });
      }
    }
    // LOAD and STORE themselves: the sub-switch on the space byte holds the bodies.
    m.set(o.mnemonic, { key: o.mnemonic, pops: o.pops, pushes: o.pushes, immediate: o.immediate });
  }
  return m;
}

const IMM_BYTES: Record<string, number> = { none: 0, space: 1, target: 2 };

/**
 * The STACK phase as one unsigned range check of sp: below the pops it wraps
 * to a huge value, above the room for the pushes it exceeds the span. Besides
 * being one compare, it gives the C compiler both bounds of sp, so the
 * runtime's own bounds checks of the stack accesses that follow fold away.
 */
function stackPhase(e: Effect): string[] {
  if (typeof e.pops !== "number" || typeof e.pushes !== "number") return [];
  const pops = e.pops, grow = Math.max(0, e.pushes - e.pops);
  if (pops === 0 && grow === 0) return [];
  const lo = `DSTACK + ${8 * pops}`;
  const span = `<usize>(DSTACK_END - DSTACK - ${8 * (pops + grow)})`;
  const trap = pops === 0 ? "TRAP_STACK_OVERFLOW" : grow === 0 ? "TRAP_STACK_UNDERFLOW" : `sp < ${lo} ? TRAP_STACK_UNDERFLOW : TRAP_STACK_OVERFLOW`;
  return [`if (sp - (${lo}) > ${span}) { t = ${trap}; break; }`];
}

/** The generated loop module from the template text of vm.ts. */
export function vmLoop(t: OpcodeTable, template: string): string {
  const fx = effects(t);
  const sized = new Set(costKeys(t).filter((k) => Object.values(t.costTables).some((ct) => ct.costs[k].per !== undefined)));
  const out: string[] = [];
  let parent = "";
  let cur: Effect | undefined;
  const seen = new Map<string, { gas: boolean; charge: boolean }>();
  const fail = (m: string): never => { throw new Error(`interpreter-as/assembly/vm.ts: ${m}`); };
  const used = new Set(t.opcodes.map((o) => Number(o.byte)));
  for (const m of template.matchAll(/^const IOP_(\w+): u8 = (0x[0-9a-f]+);/gm)) {
    const v = Number(m[2]);
    if (v === 0 || used.has(v)) fail(`IOP_${m[1]} = ${m[2]} is the sentinel or a spec opcode`);
    used.add(v);
  }
  let fallsInto = "";
  let tosKept = false;
  // A case without TOS(): the store of the top into its slot, emitted before its first body line.
  let pendingSync: string | null = null;
  let pendingStack: string[] | null = null; // a fused case's STACK phase, after its fast path
  let inFast = false;
  // Each fast path's summed base cost, computed once per call where the template says FAST_COSTS();
  const fastCosts = new Map<string, string>();
  // Base costs the loop charges, as module globals set per call from the job's table (useCosts).
  const baseKeys = new Set<string>();
  let fastCostsAt = -1;
  let fastCostsIndent = "";
  const fastCheck = (names: string[], indent: string): string[] => {
    // Depth d = (sp - DSTACK) / 8 on entry; each instruction needs d + off >= pops and d + off - pops + pushes <= STACK_DEPTH.
    let off = 0, need = 0, top = 0;
    const keys: string[] = [];
    for (const n of names) {
      const e = fx.get(n) ?? fail(`FAST: unknown instruction ${n}`);
      if (typeof e.pops !== "number" || typeof e.pushes !== "number") fail(`FAST: ${n} has a variable stack effect`);
      if (sized.has(n)) fail(`FAST: ${n} has a size-dependent cost`);
      need = Math.max(need, (e.pops as number) - off);
      off += (e.pushes as number) - (e.pops as number);
      top = Math.max(top, off);
      baseKeys.add(n);
      keys.push(`cost_${cname(n)}`);
    }
    const conds: string[] = [];
    if (need > 0 || top > 0) conds.push(`sp - (DSTACK + ${8 * need}) <= <usize>(DSTACK_END - DSTACK - ${8 * (need + top)})`);
    const name = `cf_${names.map(cname).join("_")}`;
    if (!fastCosts.has(name)) fastCosts.set(name, keys.join(" + "));
    return [`${indent}{`, `${indent}  if (${[...conds, `fuel >= ${name}`].join(" && ")}) {`, `${indent}    fuel -= ${name};`];
  };
  for (const line of template.split("\n")) {
    const indent = /^\s*/.exec(line)![0];
    const s = line.trim();
    if (inFast) {
      if (s === "} // END_FAST") {
        out.push(`${indent}  }`, `${indent}}`);
        inFast = false;
        if (fallsInto.includes("_")) pendingStack = null;
        continue;
      }
      if (s === "GAS();" || s === "NEXT();" || s.startsWith("CHARGE(") || s === "TOS();") fail(`${s} inside a fast path`);
      out.push(`  ${line}`);
      continue;
    }
    if (pendingStack) {
      const f = /^if \(FAST\(([A-Z_, ]+)\)\) \{$/.exec(s);
      if (f) {
        out.push(...fastCheck(f[1].split(",").map((x) => x.trim()), indent));
        inFast = true;
        continue;
      }
      out.push(...pendingStack);
      pendingStack = null;
    }
    if (s === "FAST_COSTS();") {
      if (fastCostsAt >= 0) fail("two FAST_COSTS() markers");
      fastCostsAt = out.length;
      fastCostsIndent = indent;
      continue;
    }
    if (s === "PUSHB();") {
      // The body of a PUSH with a 1-byte immediate (IOP_PUSHB and the fused cases' slow paths).
      if (!cur || cur.key !== "PUSH") fail("PUSHB() outside a PUSH case");
      out.push(`${indent}if (sp != DSTACK) store<i64>(sp - 8, tos); // the old top into its slot`,
        `${indent}tos = <i64>load<i8>(ip + 2);`, `${indent}sp += 8;`, `${indent}ip += 3;`);
      continue;
    }
    if (s === "TOS();") {
      if (!cur) fail("TOS() outside an instruction's case");
      tosKept = true;
      pendingSync = null;
      continue;
    }
    const iop = /^case IOP_([A-Z]+)(?:_([A-Z]+))?(?:_([A-Z]+))?: \{$/.exec(s);
    if (iop) {
      if (fallsInto && !(fallsInto.includes("_") && !iop[3] && `${iop[1]}_${iop[2]}` === fallsInto)) fail(`IOP case after a fused case that must fall into ${fallsInto}`);
      tosKept = false;
      if (iop[3]) {
        // A fast path only: it falls into the fused case of its first two instructions.
        const key = `IOP_${iop[1]}_${iop[2]}_${iop[3]}`;
        if (seen.has(key)) fail(`two cases for ${key}`);
        seen.set(key, { gas: true, charge: false });
        fallsInto = `${iop[1]}_${iop[2]}`;
        out.push(line);
        pendingStack = [];
        continue;
      }
      const first = iop[1] === "PUSHB" ? "PUSH" : iop[1];
      const key = `IOP_${iop[1]}${iop[2] ? "_" + iop[2] : ""}`;
      const e = fx.get(first) ?? fail(`${key}: unknown instruction ${first}`);
      if (seen.has(key)) fail(`two cases for ${key}`);
      seen.set(key, { gas: false, charge: false });
      cur = { ...e, key: first, immediate: "fused" };
      fallsInto = iop[2] ?? "";
      if (fallsInto && !fx.has(fallsInto)) fail(`${key}: unknown instruction ${fallsInto}`);
      out.push(line);
      pendingStack = stackPhase(e).map((l) => `${indent}  ${l}`);
      continue;
    }
    const op = /^case OP_(\w+): \{$/.exec(s);
    const sp = /^case SPACE_(\w+): \{$/.exec(s);
    if (op || sp) {
      if (fallsInto && (!op || op[1] !== fallsInto)) fail(`a fused case must fall through into case OP_${fallsInto}`);
      fallsInto = "";
      if (op) { parent = op[1]; tosKept = false; }
      const key = op ? op[1] : `${parent}.${sp![1].toLowerCase()}`;
      cur = fx.get(key) ?? fail(`case for unknown instruction ${key}`);
      if (seen.has(key)) fail(`two cases for ${key}`);
      seen.set(key, { gas: false, charge: false });
      out.push(line, ...stackPhase(cur).map((l) => `${indent}  ${l}`));
      if (op) {
        // The pops (checked above) guarantee a top; otherwise the stack may be empty.
        const sure = typeof cur!.pops === "number" && cur!.pops > 0;
        pendingSync = `${indent}  ${sure ? "" : "if (sp > DSTACK) "}store<i64>(sp - 8, tos); // the top into its slot: this body reads the stack in memory`;
      }
      continue;
    }
    if (pendingSync !== null) {
      if (s !== "TOS();") out.push(pendingSync);
      pendingSync = null;
    }
    if (s === "GAS();" || s.startsWith("CHARGE(") || s === "NEXT();") {
      if (!cur) fail(`${s} outside an instruction's case`);
      const e = cur!;
      const mark = seen.get(e.key) ?? { gas: false, charge: false };
      if (s === "GAS();") {
        if (sized.has(e.key)) fail(`${e.key} has a size-dependent cost: use CHARGE(cost)`);
        baseKeys.add(e.key);
        out.push(`${indent}{`, `${indent}  const c = cost_${cname(e.key)};`,
          `${indent}  if (fuel < c) { t = TRAP_OUT_OF_CYCLES; break; }`, `${indent}  fuel -= c;`, `${indent}}`);
        mark.gas = true;
      } else if (s === "NEXT();") {
        const n = IMM_BYTES[e.immediate];
        if (n === undefined) fail(`NEXT() in ${e.key}, whose immediate (${e.immediate}) has no fixed size`);
        out.push(`${indent}ip += ${1 + n!};`, ...(tosKept ? [] : [`${indent}tos = load<i64>(sp - 8);`]), `${indent}continue;`);
      } else {
        const m = /^CHARGE\((.+)\);$/.exec(s) ?? fail(`malformed ${s}`);
        out.push(`${indent}if (<u64>fuel < ${m[1]}) { t = TRAP_OUT_OF_CYCLES; break; }`, `${indent}fuel -= <u32>${m[1]};`);
        mark.charge = true;
      }
      continue;
    }
    if (s === "continue;" && cur && !tosKept) out.push(`${indent}tos = load<i64>(sp - 8);`);
    out.push(line.replace(/from "\.\/(generated\/)?/, (_m, g?: string) => (g ? 'from "./' : 'from "../')));
  }
  for (const [key, e] of fx) {
    const m = seen.get(key) ?? fail(`no case for ${key}`);
    if (e.immediate === "space" && !key.includes(".")) continue; // dispatches on the space
    if (sized.has(key) ? !m.charge : !m.gas) fail(`${key}: its body has no ${sized.has(key) ? "CHARGE(cost)" : "GAS()"}`);
  }
  if (fastCostsAt < 0) fail("the loop needs a FAST_COSTS() marker where the job's costs are known");
  out.splice(fastCostsAt, 0, `${fastCostsIndent}useCosts(costs);`);
  const keys = [...baseKeys].sort();
  out.push("", "// The base cost of every fixed-cost instruction, copied from the job's cost table",
    "// at the start of each call: module globals live in the wasm instance, whose",
    "// pointer the compiled loop keeps in a register, so a charge reads its cost",
    "// with one load instead of materialising a table address first.",
    ...keys.map((k) => `let cost_${cname(k)}: u32 = 0;`),
    "// Each fast path's summed base cost, likewise.",
    ...[...fastCosts.keys()].map((n) => `let ${n}: u32 = 0;`),
    "// The job's base costs are first copied to a fixed address, so that each global",
    "// is set by a load the compiled code need not bounds-check (a few bytes each).",
    `const COSTS_HERE: usize = memory.data(${4 * costKeys(t).length}, 4);`,
    "/** Copies the base costs of a cost-table row (CK_* offsets) into the cost_* globals. */",
    "function useCosts(table: usize): void {",
    `  memory.copy(COSTS_HERE, table, ${4 * costKeys(t).length});`,
    ...keys.map((k) => `  cost_${cname(k)} = load<u32>(COSTS_HERE, ck.CK_${cname(k)});`),
    ...[...fastCosts].map(([n, e]) => `  ${n} = ${e};`),
    "}", "");
  const banner = [
    `// ${HEADER}`,
    "// The dispatch loop: interpreter-as/assembly/vm.ts (operation bodies) with the",
    "// STACK, GAS and PROGRAM COUNTER phases generated by scripts/gen/vm-loop.ts.",
    "",
  ];
  return banner.join("\n") + out.join("\n");
}
