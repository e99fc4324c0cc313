/** Jobs that reach execution, for the firmware tests and benchmarks (assembled with host-ts/src/asm). */
import { ed25519 } from "@noble/curves/ed25519.js";
import { jobFromSource } from "../../src/jobs/from-source.ts";

export interface NamedJob { name: string; bytes: Uint8Array }

export function job(source: string, args: bigint[] = [], input = new Uint8Array(0), state = new Map<string, Uint8Array>()): Uint8Array {
  return jobFromSource(source, { args, input, state, balances: { ["00".repeat(16)]: 5000n } }).bytes;
}

/** Arithmetic loop: n iterations of (acc = acc * 3 + i) ^ ...; returns acc. */
export const LOOP = (n: bigint): Uint8Array => job(`
  .cycles 100000000
  .func main 1 1
  main:
    PUSH 0            ; acc n
    SWAP              ; n acc... (n on top)
  loop:
    DUP
    JZ done
    SWAP              ; acc n
    PUSH 3
    MUL
    PUSH 7
    ADD
    PUSH 255
    XOR
    SWAP              ; n acc
    PUSH 1
    SUB
    JMP loop
  done:
    POP
    HALT
`, [n]);

export function sampleJobs(): NamedJob[] {
  return [
    { name: "empty", bytes: new Uint8Array(0) },
    { name: "garbage", bytes: new Uint8Array([0xa7, 0x00, 0x01, 0x01, 0xff, 0x13, 0x80]) },
    { name: "loop-100", bytes: LOOP(100n) },
    { name: "memory", bytes: job(`
      .memory 64
      .func main 0 1
      main:
        .data 8 "hello, world"
        PUSH 0x1122334455667788
        PUSH 24
        STORE.m64
        PUSH 25
        LOAD.m32
        PUSH 9
        LOAD.m16
        ADD
        PUSH 8
        PUSH 12
        EMIT
        HALT
    `) },
    { name: "state", bytes: job(`
      .memory 64
      .state 256
      .func main 0 0
      main:
        .data 0 "key1"
        .data 8 "value"
        PUSH 0
        PUSH 4
        PUSH 8
        PUSH 5
        STORE.state
        HALT
    `, [], new Uint8Array(0), new Map([["6b", new Uint8Array([1, 2, 3])]])) },
    { name: "abort", bytes: job(`
      .func main 0 0
      main:
        PUSH 42
        ABORT
    `) },
    { name: "div-zero", bytes: job(`
      .func main 0 1
      main:
        PUSH 1
        PUSH 0
        DIV
        HALT
    `) },
    { name: "calls", bytes: job(`
      .func main 1 1
      main:
        CALL f
        CALL f
        HALT
      f:
        PUSH 2
        MUL
        RET
    `, [21n]) },
    { name: "ed25519-valid", bytes: sigJob(false) },
    { name: "ed25519-forged", bytes: sigJob(true) },
    { name: "hash", bytes: job(`
      .memory 128
      .func main 0 0
      main:
        .data 0 "abc"
        PUSH 0
        PUSH 3
        PUSH 64
        HASH
        PUSH 64
        PUSH 32
        EMIT
        HALT
    `) },
  ];
}

/** VERIFY_SIG of a signature over 32 bytes (pk @0, sig @32, msg @96 via the input); `forge` flips a bit of the signature. */
export function sigJob(forge: boolean): Uint8Array {
  const sk = new Uint8Array(32).fill(7);
  const msg = new Uint8Array(32).fill(0x42);
  const sig = ed25519.sign(msg, sk);
  if (forge) sig[5] ^= 1;
  const input = new Uint8Array(128);
  input.set(ed25519.getPublicKey(sk), 0);
  input.set(sig, 32);
  input.set(msg, 96);
  return job(`
    .memory 256
    .cycles 100000000
    .func main 0 1
    main:
      PUSH 0
      PUSH 96
      PUSH 32
      PUSH 32
      VERIFY_SIG
      HALT
  `, [], input);
}
