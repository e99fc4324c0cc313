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
 *     base cost read from the cost array the local `costs` points at (one of
 *     the generated COST_TABLE_* arrays; CK_<key> is the byte offset), so a
 *     job's cost table is chosen by pointing `costs` at another array;
 *   - replaces `CHARGE(expr);` with the GAS phase of a size-dependent cost the
 *     body computed;
 *   - replaces `NEXT();` with the PROGRAM COUNTER phase of a fall-through
 *     instruction: ip past the opcode and its fixed immediate, next step.
 * A fixed-cost body without `GAS();`, a size-dependent one without
 * `CHARGE(`, or a marker outside a case, is an error.
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

function stackPhase(e: Effect): string[] {
  const L: string[] = [];
  if (typeof e.pops !== "number" || typeof e.pushes !== "number") return L;
  if (e.pops > 0) L.push(`if (sp < DSTACK + ${8 * e.pops}) { t = TRAP_STACK_UNDERFLOW; break; }`);
  const grow = e.pushes - e.pops;
  if (grow > 0) L.push(grow === 1 ? "if (sp >= DSTACK_END) { t = TRAP_STACK_OVERFLOW; break; }" : `if (sp > DSTACK_END - ${8 * grow}) { t = TRAP_STACK_OVERFLOW; break; }`);
  return L;
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
  for (const line of template.split("\n")) {
    const indent = /^\s*/.exec(line)![0];
    const s = line.trim();
    const op = /^case OP_(\w+): \{$/.exec(s);
    const sp = /^case SPACE_(\w+): \{$/.exec(s);
    if (op || sp) {
      if (op) parent = op[1];
      const key = op ? op[1] : `${parent}.${sp![1].toLowerCase()}`;
      cur = fx.get(key) ?? fail(`case for unknown instruction ${key}`);
      if (seen.has(key)) fail(`two cases for ${key}`);
      seen.set(key, { gas: false, charge: false });
      out.push(line, ...stackPhase(cur).map((l) => `${indent}  ${l}`));
      continue;
    }
    if (s === "GAS();" || s.startsWith("CHARGE(") || s === "NEXT();") {
      if (!cur) fail(`${s} outside an instruction's case`);
      const e = cur!;
      const mark = seen.get(e.key)!;
      if (s === "GAS();") {
        if (sized.has(e.key)) fail(`${e.key} has a size-dependent cost: use CHARGE(cost)`);
        out.push(`${indent}{`, `${indent}  const c = load<u32>(costs, ck.CK_${cname(e.key)});`,
          `${indent}  if (fuel < c) { t = TRAP_OUT_OF_CYCLES; break; }`, `${indent}  fuel -= c;`, `${indent}}`);
        mark.gas = true;
      } else if (s === "NEXT();") {
        const n = IMM_BYTES[e.immediate];
        if (n === undefined) fail(`NEXT() in ${e.key}, whose immediate (${e.immediate}) has no fixed size`);
        out.push(`${indent}ip += ${1 + n!};`, `${indent}continue;`);
      } else {
        const m = /^CHARGE\((.+)\);$/.exec(s) ?? fail(`malformed ${s}`);
        out.push(`${indent}if (<u64>fuel < ${m[1]}) { t = TRAP_OUT_OF_CYCLES; break; }`, `${indent}fuel -= <u32>${m[1]};`);
        mark.charge = true;
      }
      continue;
    }
    out.push(line.replace(/from "\.\/(generated\/)?/, (_m, g?: string) => (g ? 'from "./' : 'from "../')));
  }
  for (const [key, e] of fx) {
    const m = seen.get(key) ?? fail(`no case for ${key}`);
    if (e.immediate === "space" && !key.includes(".")) continue; // dispatches on the space
    if (sized.has(key) ? !m.charge : !m.gas) fail(`${key}: its body has no ${sized.has(key) ? "CHARGE(cost)" : "GAS()"}`);
  }
  const banner = [
    `// ${HEADER}`,
    "// The dispatch loop: interpreter-as/assembly/vm.ts (operation bodies) with the",
    "// STACK, GAS and PROGRAM COUNTER phases generated by scripts/gen/vm-loop.ts.",
    "",
  ];
  return banner.join("\n") + out.join("\n");
}
