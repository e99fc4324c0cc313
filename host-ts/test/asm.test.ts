import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { assemble, disassemble, encodePushImmediate, AsmError } from "../src/asm/index.ts";
import { encodeContract } from "../src/model/codec.ts";
import { OPCODES, SPACES } from "../src/generated/opcodes.ts";

const roundTrip = (src: string) => {
  const c = assemble(src);
  const again = assemble(disassemble(c));
  expect(Buffer.from(encodeContract(again)).toString("hex")).toBe(Buffer.from(encodeContract(c)).toString("hex"));
  return c;
};

describe("assembler", () => {
  it("encodes PUSH minimally (SPEC §5.1 examples)", () => {
    expect(encodePushImmediate(0n)).toEqual([0]);
    expect(encodePushImmediate(127n)).toEqual([1, 0x7f]);
    expect(encodePushImmediate(128n)).toEqual([2, 0x80, 0x00]);
    expect(encodePushImmediate(-1n)).toEqual([1, 0xff]);
    expect(encodePushImmediate(-129n)).toEqual([2, 0x7f, 0xff]);
    expect(encodePushImmediate((1n << 63n) - 1n)).toEqual([8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    expect(encodePushImmediate(-(1n << 63n))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 0x80]);
  });

  it("assembles labels, constants, functions and data", () => {
    const c = roundTrip(`
      .memory 64
      .cycles 500
      .state 128
      .const BUF 8
      .func main 1 1
      main:
        .data BUF "hello, world"   ; 12 bytes: one m64 + one m32 store
        PUSH BUF+4
        LOAD.m8
        JZ done
        CALL sub
      done:
        HALT
      sub: RET
    `);
    expect(c.maxMemory).toBe(64);
    expect(c.maxCycles).toBe(500);
    expect(c.functions).toEqual([{ name: "main", entry: 0, args: 1, rets: 1 }]);
    expect(c.code[0]).toBe(0x01);
  });

  it("round-trips every opcode and space", () => {
    const lines = [".func f 0 0"];
    for (const o of OPCODES) {
      if (o.immediate === "push") lines.push("PUSH -42");
      else if (o.immediate === "target") lines.push(`${o.mnemonic} end`);
      else if (o.immediate === "space") for (const s of SPACES) { if (s[o.mnemonic as "LOAD" | "STORE"]) lines.push(`${o.mnemonic}.${s.name}`); }
      else lines.push(o.mnemonic);
    }
    lines.push("end: HALT");
    roundTrip(lines.join("\n"));
  });

  it("keeps undecodable bytes and numeric targets through a round trip", () => {
    roundTrip(".func f 0 0\n.byte 0xff 0x01 0x02 0x00 0x00\nJMP 0x0002\nPUSH 1\n.byte 0x01");
  });

  it("round-trips random code bytes exactly", () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
      const src = ".func f 0 0\n.byte " + [...bytes].join(" ");
      roundTrip(src);
    }), { numRuns: 300 });
  });

  it("evaluates .const expressions over earlier constants", () => {
    const c = assemble(".const A 8\n.const B A+8\n.const C B-2\n.func f 0 1\nPUSH C\nHALT");
    expect([...c.code.slice(0, 3)]).toEqual([0x01, 0x01, 14]);
    expect(() => assemble(".const B Z+1\n.func f 0 0\nHALT")).toThrow(/line 1/);
  });

  it("reports errors with line numbers", () => {
    expect(() => assemble(".func f 0 0\nFROB")).toThrow(/line 2: unknown instruction FROB/);
    expect(() => assemble(".func f 0 0\nJMP nowhere")).toThrow(/unknown symbol nowhere/);
    expect(() => assemble(".func f 0 0\nLOAD")).toThrow(/LOAD needs a space/);
    expect(() => assemble(".func f 0 0\nPUSH 99999999999999999999")).toThrow(AsmError);
    expect(() => assemble("HALT")).toThrow(/no .func/);
  });
});
