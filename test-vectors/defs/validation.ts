/**
 * Load-time validation (SPEC §7) in its exact order, the encoding rules of
 * SPEC §4, and every limit of SPEC §11 at and one past its bound.
 */
import { encodeCanonical, type CborValue, type CborMap } from "../../host-ts/src/model/cbor.ts";
import { jobToCbor, encodeJob } from "../../host-ts/src/model/codec.ts";
import { assemble } from "../../host-ts/src/asm/index.ts";
import { Limit } from "../../host-ts/src/generated/opcodes.ts";
import type { Job } from "../../host-ts/src/model/types.ts";
import { makeJob } from "../../host-ts/src/model/job.ts";
import { main, SENDER, SELF, hex, type DefFile, type VectorDef } from "./lib.ts";

const OK = main("PUSH 1\nHALT", { rets: 1 });
const okExpect = { status: "HALT" as const, returns: [1n] };
const inv = (code: string) => ({ status: "INVALID" as const, code, cycles: 0 });

/** A vector whose contract code is given as raw bytes. */
const code = (name: string, description: string, bytes: number[], expectCode: string | null, extra: Partial<VectorDef> = {}): VectorDef => ({
  name, description,
  source: `.memory 64\n.cycles 1000\n.state 0\n.func main 0 0 0\n.byte ${bytes.join(" ")}`,
  expect: expectCode ? inv(expectCode) : undefined,
  ...extra,
});

// ---- raw CBOR surgery for the encoding vectors ----
function head(major: number, n: number, width?: 0 | 1 | 2 | 4 | 8): number[] {
  const m = major << 5;
  const w = width ?? (n < 24 ? 0 : n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x100000000 ? 4 : 8);
  if (w === 0) return [m | n];
  const ai = { 1: 24, 2: 25, 4: 26, 8: 27 }[w];
  const bytes: number[] = [];
  for (let i = w - 1; i >= 0; i--) bytes.push(Math.floor(n / 2 ** (8 * i)) & 0xff);
  return [m | ai, ...bytes];
}
const enc = (v: CborValue) => [...encodeCanonical(v)];
function baseJob(): Job {
  const c = assemble(OK, { costTable: "v1" });
  return makeJob(c, { fn: "main", sender: SENDER, self: SELF, epoch: 7n });
}
/** The job map's entries as encoded [key, value] byte arrays, in canonical order. */
const entries = (j: Job = baseJob()) => [...jobToCbor(j)].map(([k, v]) => [enc(k), enc(v)] as [number[], number[]]);
const mapOf = (es: [number[], number[]][], h = head(5, es.length)) => Uint8Array.from([...h, ...es.flat(2)]);
const withValue = (key: number, value: number[]) => mapOf(entries().map(([k, v], i) => [k, i === key ? value : v]));
const jobWith = (edit: (m: CborMap) => void) => { const m = jobToCbor(baseJob()); edit(m); return encodeCanonical(m); };
const contractWith = (edit: (m: CborMap) => void) => jobWith((m) => edit(m.get(1n) as CborMap));
const ctxWith = (edit: (m: CborMap) => void) => jobWith((m) => edit(m.get(5n) as CborMap));
const raw = (name: string, description: string, bytes: Uint8Array, code: string): VectorDef => ({ name, description, raw: bytes, expect: inv(code) });

const nested = (depth: number): CborValue => (depth === 0 ? 0n : [nested(depth - 1)]);
const fnTable = (n: number, f: (i: number) => string = (i) => `f${i}`) => Array.from({ length: n }, (_, i) => `.func ${f(i)} 0 1 e`).join("\n") + "\ne:\nPUSH 1\nHALT";

/** Pads a job with code bytes so its encoding is exactly `size` bytes. */
function jobOfSize(size: number): Uint8Array {
  const build = (pad: number) => {
    const c = assemble(`.memory 32768\n.cycles 1000\n.state 0\n.func main 0 1\nPUSH 1\nHALT\n.byte ${"2 ".repeat(pad)}`, { costTable: "v1" });
    return encodeJob({ ...baseJob(), contract: c, input: new Uint8Array(32768).fill(0x61) });
  };
  let pad = 0;
  for (let i = 0; i < 4; i++) pad += size - build(pad).length;
  const bytes = build(pad);
  if (bytes.length !== size) throw new Error(`could not build a job of ${size} bytes`);
  return bytes;
}

export const validation: DefFile = {
  category: "validation",
  description: "SPEC §4 deterministic-CBOR rules and SPEC §7 load-time validation, in order; every limit at and one past its bound",
  vectors: [
    // §7 step 0
    { name: "size/job-at-max", description: `a job of exactly MAX_JOB_SIZE (${Limit.MAX_JOB_SIZE}) bytes runs`, raw: jobOfSize(Limit.MAX_JOB_SIZE), expect: okExpect },
    { name: "size/job-one-past", description: "one byte more is JOB_TOO_LARGE (checked before decoding)", raw: Uint8Array.from([...jobOfSize(Limit.MAX_JOB_SIZE), 0]), expect: inv("JOB_TOO_LARGE") },
    // §4 / §7 step 1
    raw("cbor/empty", "zero bytes are not a CBOR item", new Uint8Array(), "MALFORMED_ENCODING"),
    { name: "cbor/trailing-byte", description: "a byte after the top-level item", source: OK, raw: (b) => Uint8Array.from([...b, 0x00]), expect: inv("MALFORMED_ENCODING") },
    { name: "cbor/truncated", description: "the last byte missing", source: OK, raw: (b) => b.slice(0, -1), expect: inv("MALFORMED_ENCODING") },
    raw("cbor/map-head-not-minimal", "the job map's length in a one-byte extension (b8 07)", mapOf(entries(), head(5, 7, 1)), "MALFORMED_ENCODING"),
    raw("cbor/indefinite-map", "an indefinite-length map", Uint8Array.from([0xbf, ...entries().flat(2), 0xff]), "MALFORMED_ENCODING"),
    raw("cbor/keys-out-of-order", "map keys not in bytewise order", mapOf([entries()[1], entries()[0], ...entries().slice(2)]), "MALFORMED_ENCODING"),
    raw("cbor/duplicate-key", "the same key twice", mapOf([entries()[0], entries()[0], ...entries().slice(1)]), "MALFORMED_ENCODING"),
    raw("cbor/float-version", "version as a half-precision float 1.0", withValue(0, [0xf9, 0x3c, 0x00]), "MALFORMED_ENCODING"),
    raw("cbor/tagged-version", "version wrapped in tag 0", withValue(0, [0xc0, 0x01]), "MALFORMED_ENCODING"),
    raw("cbor/bignum-tag", "an argument as a tag-2 bignum", withValue(3, [0x81, 0xc2, 0x41, 0x01]), "MALFORMED_ENCODING"),
    raw("cbor/true-argument", "true as an argument", withValue(3, [0x81, 0xf5]), "MALFORMED_ENCODING"),
    raw("cbor/null-input", "null as the input", withValue(4, [0xf6]), "MALFORMED_ENCODING"),
    raw("cbor/int-not-minimal", "an argument 5 encoded as 18 05", withValue(3, [0x81, 0x18, 0x05]), "MALFORMED_ENCODING"),
    raw("cbor/length-not-minimal", "an empty input encoded as 58 00", withValue(4, [0x58, 0x00]), "MALFORMED_ENCODING"),
    raw("cbor/indefinite-bytes", "the input as an indefinite-length byte string", withValue(4, [0x5f, 0x41, 0x00, 0xff]), "MALFORMED_ENCODING"),
    raw("cbor/bad-utf8", "the function name is not valid UTF-8", withValue(2, [0x62, 0xc3, 0x28]), "MALFORMED_ENCODING"),
    raw("cbor/depth-17", "an item at depth 17", withValue(3, enc(nested(15))), "MALFORMED_ENCODING"),
    raw("cbor/depth-16", "items at depth 16 decode (then args fail the shape check)", withValue(3, enc(nested(14))), "BAD_JOB_SHAPE"),
    raw("cbor/huge-length", "a byte string claiming 2^32 bytes", withValue(4, [0x5a, 0xff, 0xff, 0xff, 0xff]), "MALFORMED_ENCODING"),
    raw("cbor/array-key-out-of-order", "an array as the first map key sorts after the integer keys (found by mhr fuzz)", mapOf([[[0x80], [0x01]], ...entries().slice(1)]), "MALFORMED_ENCODING"),
    raw("cbor/array-key-in-order", "an array key in its sorted place decodes, then fails the shape check", mapOf([...entries(), [[0x80], [0x01]]]), "BAD_JOB_SHAPE"),
    raw("cbor/bom-function-name", "a function name starting with U+FEFF is valid UTF-8 (kept, not stripped): the function is unknown", withValue(2, [0x67, 0xef, 0xbb, 0xbf, 0x6d, 0x61, 0x69, 0x6e]), "UNKNOWN_FUNCTION"),
    raw("cbor/overlong-utf8", "an overlong UTF-8 encoding (c0 af) is not valid UTF-8", withValue(2, [0x62, 0xc0, 0xaf]), "MALFORMED_ENCODING"),
    raw("cbor/surrogate-utf8", "an encoded UTF-16 surrogate (ed a0 80) is not valid UTF-8", withValue(2, [0x63, 0xed, 0xa0, 0x80]), "MALFORMED_ENCODING"),
    raw("cbor/undefined", "undefined as the input", withValue(4, [0xf7]), "MALFORMED_ENCODING"),
    // §7 step 2: job shape
    raw("job/not-a-map", "the job is an array", Uint8Array.from(enc([1n, 2n])), "BAD_JOB_SHAPE"),
    raw("job/integer", "the job is an integer", Uint8Array.from(enc(1n)), "BAD_JOB_SHAPE"),
    raw("job/missing-state", "key 6 missing", jobWith((m) => m.delete(6n)), "BAD_JOB_SHAPE"),
    raw("job/extra-key", "an extra key 7", jobWith((m) => m.set(7n, 0n)), "BAD_JOB_SHAPE"),
    raw("job/text-key", "a text key", jobWith((m) => m.set("x", 0n)), "BAD_JOB_SHAPE"),
    raw("job/function-bytes", "the function name as bytes", jobWith((m) => m.set(2n, new Uint8Array([0x6d]))), "BAD_JOB_SHAPE"),
    raw("job/args-map", "args as a map", jobWith((m) => m.set(3n, new Map())), "BAD_JOB_SHAPE"),
    raw("job/arg-bytes", "an argument that is a byte string", jobWith((m) => m.set(3n, [new Uint8Array(1)])), "BAD_JOB_SHAPE"),
    raw("job/arg-too-big", "an argument of 2^63", jobWith((m) => m.set(3n, [1n << 63n])), "BAD_JOB_SHAPE"),
    raw("job/arg-too-small", "an argument of -2^63-1", jobWith((m) => m.set(3n, [-(1n << 63n) - 1n])), "BAD_JOB_SHAPE"),
    raw("job/arg-uint64-max", "an argument of 2^64-1", jobWith((m) => m.set(3n, [(1n << 64n) - 1n])), "BAD_JOB_SHAPE"),
    raw("job/input-text", "the input as text", jobWith((m) => m.set(4n, "x")), "BAD_JOB_SHAPE"),
    raw("job/context-missing-key", "context without balances", ctxWith((m) => m.delete(3n)), "BAD_JOB_SHAPE"),
    raw("job/context-extra-key", "context with a key 4", ctxWith((m) => m.set(4n, 0n)), "BAD_JOB_SHAPE"),
    raw("job/sender-text", "sender as text", ctxWith((m) => m.set(0n, "abc")), "BAD_JOB_SHAPE"),
    raw("job/epoch-negative", "a negative epoch", ctxWith((m) => m.set(2n, -1n)), "BAD_JOB_SHAPE"),
    raw("job/balance-negative", "a negative balance", ctxWith((m) => m.set(3n, new Map([[new Uint8Array(16), -5n]]))), "BAD_JOB_SHAPE"),
    raw("job/balance-key-int", "a balance keyed by an integer", ctxWith((m) => m.set(3n, new Map([[1n, 5n]]))), "BAD_JOB_SHAPE"),
    raw("job/state-value-int", "a state value that is an integer", jobWith((m) => m.set(6n, new Map([[new Uint8Array([1]), 5n]]))), "BAD_JOB_SHAPE"),
    raw("job/state-key-text", "a state key that is text", jobWith((m) => m.set(6n, new Map([["k", new Uint8Array([1])]]))), "BAD_JOB_SHAPE"),
    raw("job/shape-before-contract", "a job-shape error wins over a contract-shape error", jobWith((m) => { m.set(2n, 5n); (m.get(1n) as CborMap).delete(7n); }), "BAD_JOB_SHAPE"),
    // §7 step 3
    raw("job/version-2", "job version 2", jobWith((m) => m.set(0n, 2n)), "UNSUPPORTED_VERSION"),
    raw("job/version-0", "job version 0", jobWith((m) => m.set(0n, 0n)), "UNSUPPORTED_VERSION"),
    raw("job/version-before-contract-shape", "job version is checked before the contract's shape", jobWith((m) => { m.set(0n, 9n); (m.get(1n) as CborMap).delete(7n); }), "UNSUPPORTED_VERSION"),
    // §7 step 4
    raw("contract/not-a-map", "the contract is a byte string: the job map's key 1 must be a map, so this is a job-shape error", jobWith((m) => m.set(1n, new Uint8Array(4))), "BAD_JOB_SHAPE"),
    raw("contract/missing-functions", "contract without key 7", contractWith((m) => m.delete(7n)), "BAD_CONTRACT_SHAPE"),
    raw("contract/wasm-tier-key", "key 8 (reserved for WASM packages) on an MHR-Byte contract", contractWith((m) => m.set(8n, 1n)), "BAD_CONTRACT_SHAPE"),
    raw("contract/hash-31", "a 31-byte hash", contractWith((m) => m.set(1n, new Uint8Array(31))), "BAD_CONTRACT_SHAPE"),
    raw("contract/state-key-33", "a 33-byte state_key", contractWith((m) => m.set(6n, new Uint8Array(33))), "BAD_CONTRACT_SHAPE"),
    raw("contract/max-memory-negative", "a negative max_memory", contractWith((m) => m.set(3n, -1n)), "BAD_CONTRACT_SHAPE"),
    raw("contract/code-text", "code as text", contractWith((m) => m.set(2n, "HALT")), "BAD_CONTRACT_SHAPE"),
    raw("contract/function-3-items", "a function entry with three items", contractWith((m) => m.set(7n, [["main", 0n, 0n]])), "BAD_CONTRACT_SHAPE"),
    raw("contract/function-name-bytes", "a function name as bytes", contractWith((m) => m.set(7n, [[new Uint8Array(1), 0n, 0n, 1n]])), "BAD_CONTRACT_SHAPE"),
    raw("contract/function-negative-entry", "a negative entry", contractWith((m) => m.set(7n, [["main", -1n, 0n, 1n]])), "BAD_CONTRACT_SHAPE"),
    raw("contract/functions-not-array", "functions as a map", contractWith((m) => m.set(7n, new Map())), "BAD_CONTRACT_SHAPE"),
    // §7 step 5
    raw("contract/version-3", "contract version 3 (1 and 2 name the cost tables v1 and v2)", contractWith((m) => m.set(0n, 3n)), "UNSUPPORTED_VERSION"),
    // §7 step 6: limits
    { name: "limit/max-memory-at", description: "max_memory = MAX_MEMORY", source: main("MSIZE\nHALT", { rets: 1, memory: Limit.MAX_MEMORY }), expect: { status: "HALT", returns: [BigInt(Limit.MAX_MEMORY)] } },
    { name: "limit/max-memory-past", description: "max_memory = MAX_MEMORY + 1", source: main("HALT", { memory: Limit.MAX_MEMORY + 1 }), expect: inv("LIMIT_OUT_OF_RANGE") },
    { name: "limit/max-state-at", description: "max_state_size = MAX_STATE_SIZE", source: main("HALT", { state: Limit.MAX_STATE_SIZE }), expect: { status: "HALT" } },
    { name: "limit/max-state-past", description: "max_state_size = MAX_STATE_SIZE + 1", source: main("HALT", { state: Limit.MAX_STATE_SIZE + 1 }), expect: inv("LIMIT_OUT_OF_RANGE") },
    { name: "limit/max-cycles-at", description: "max_cycles = MAX_CYCLES (2^40)", source: main("HALT", { cycles: Limit.MAX_CYCLES }), expect: { status: "HALT" } },
    { name: "limit/max-cycles-past", description: "max_cycles = 2^40 + 1", source: main("HALT", { cycles: Limit.MAX_CYCLES + 1 }), expect: inv("LIMIT_OUT_OF_RANGE") },
    { name: "limit/max-cycles-u64", description: "max_cycles = 2^64 - 1", source: OK, contract: (c) => { c.maxCycles = 0; }, mutate: (j) => { (j.contract as { maxCycles: number | bigint }).maxCycles = (1n << 64n) - 1n; }, expect: inv("LIMIT_OUT_OF_RANGE") },
    { name: "limit/before-code-size", description: "limits are checked before the code size", source: main("HALT", { memory: Limit.MAX_MEMORY + 1 }), contract: (c) => { c.code = new Uint8Array(); }, expect: inv("LIMIT_OUT_OF_RANGE") },
    // §7 step 7, 8
    { name: "code/empty", description: "empty code is BAD_CODE_SIZE (MAX_CODE_SIZE is unreachable within MAX_JOB_SIZE)", source: OK, contract: (c) => { c.code = new Uint8Array(); }, expect: inv("BAD_CODE_SIZE") },
    { name: "code/hash-mismatch", description: "a hash that is not Blake3(code)", source: OK, contract: (c) => { c.hash = new Uint8Array(32).fill(7); }, keepHash: true, expect: inv("HASH_MISMATCH") },
    { name: "code/hash-before-scan", description: "the hash is checked before the code is scanned", source: OK, contract: (c) => { c.code = Uint8Array.of(0xff); c.hash = new Uint8Array(32); }, keepHash: true, expect: inv("HASH_MISMATCH") },
    // §7 step 9: scan
    ...[0x00, 0x07, 0x0f, 0x19, 0x26, 0x2e, 0x37, 0x43, 0x5a, 0xff].map((b) => code(`scan/unknown-opcode-${b.toString(16).padStart(2, "0")}`, `byte 0x${b.toString(16)} is not an opcode`, [0x35, b], "UNKNOWN_OPCODE")),
    code("scan/push-no-length", "PUSH at the end without its length byte", [0x35, 0x01], "TRUNCATED_IMMEDIATE"),
    code("scan/push-short-value", "PUSH of 4 bytes with 2 present", [0x35, 0x01, 0x04, 0x01, 0x02], "TRUNCATED_IMMEDIATE"),
    code("scan/push-length-9", "a PUSH length of 9", [0x01, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x35], "BAD_IMMEDIATE"),
    code("scan/push-length-9-truncated", "a PUSH length of 9 at the end: the length is checked before the value bytes", [0x35, 0x01, 0x09], "BAD_IMMEDIATE"),
    code("scan/push-zero-in-one-byte", "0 must use length 0", [0x01, 0x01, 0x00, 0x35], "BAD_IMMEDIATE"),
    code("scan/push-5-in-two-bytes", "5 in two bytes is not minimal", [0x01, 0x02, 0x05, 0x00, 0x35], "BAD_IMMEDIATE"),
    code("scan/push-minus-one-in-two-bytes", "-1 as ff ff is not minimal", [0x01, 0x02, 0xff, 0xff, 0x35], "BAD_IMMEDIATE"),
    code("scan/push-minus-128-in-two-bytes", "-128 as 80 ff is not minimal", [0x01, 0x02, 0x80, 0xff, 0x35], "BAD_IMMEDIATE"),
    code("scan/push-127-in-two-bytes", "127 as 7f 00 is not minimal", [0x01, 0x02, 0x7f, 0x00, 0x35], "BAD_IMMEDIATE"),
    code("scan/push-128-in-two-bytes", "128 as 80 00 is minimal", [0x01, 0x02, 0x80, 0x00, 0x35], null, { expect: { status: "HALT" } }),
    code("scan/push-eight-bytes-small", "a value that fits 7 bytes in 8 is not minimal", [0x01, 0x08, 1, 0, 0, 0, 0, 0, 0, 0, 0x35], "BAD_IMMEDIATE"),
    code("scan/jmp-one-byte", "JMP with one target byte", [0x35, 0x30, 0x00], "TRUNCATED_IMMEDIATE"),
    code("scan/load-no-space", "LOAD at the end without a space", [0x35, 0x56], "TRUNCATED_IMMEDIATE"),
    code("scan/load-del", "LOAD.del does not exist (del is STORE-only)", [0x01, 0x00, 0x56, 0x11, 0x35], "BAD_IMMEDIATE"),
    code("scan/load-copy", "LOAD.copy does not exist", [0x56, 0x30, 0x35], "BAD_IMMEDIATE"),
    code("scan/store-inlen", "STORE.inlen does not exist", [0x57, 0x20, 0x35], "BAD_IMMEDIATE"),
    code("scan/space-03", "space 0x03 is not defined", [0x56, 0x03, 0x35], "BAD_IMMEDIATE"),
    code("scan/space-00", "space 0x00 is not defined", [0x57, 0x00, 0x35], "BAD_IMMEDIATE"),
    code("scan/first-problem-wins-unknown", "an unknown opcode before a bad immediate", [0xff, 0x01, 0x09], "UNKNOWN_OPCODE"),
    code("scan/first-problem-wins-immediate", "a bad immediate before an unknown opcode", [0x01, 0x09, 0xff], "BAD_IMMEDIATE"),
    code("scan/unknown-inside-push-is-data", "bytes inside a PUSH immediate are data, not opcodes", [0x01, 0x01, 0x7f, 0x35], null, { expect: { status: "HALT" } }),
    code("scan/before-targets", "a scan error wins over a bad jump target earlier in the code", [0x30, 0x01, 0x00, 0xff], "UNKNOWN_OPCODE"),
    // §7 step 10
    code("target/into-immediate", "a jump into a PUSH immediate", [0x30, 0x04, 0x00, 0x01, 0x01, 0x35, 0x35], "BAD_JUMP_TARGET"),
    code("target/code-length", "a jump to the code length", [0x30, 0x04, 0x00, 0x35], "BAD_JUMP_TARGET"),
    code("target/far", "a jump far past the end", [0x30, 0xff, 0xff, 0x35], "BAD_JUMP_TARGET"),
    code("target/call-middle", "a CALL into the middle of a JMP", [0x33, 0x04, 0x00, 0x30, 0x00, 0x00], "BAD_JUMP_TARGET"),
    code("target/jz-bad", "a JZ target inside its own immediate", [0x01, 0x00, 0x31, 0x03, 0x00, 0x35], "BAD_JUMP_TARGET"),
    code("target/jnz-bad", "a JNZ target inside a LOAD space byte", [0x01, 0x00, 0x32, 0x06, 0x00, 0x56, 0x20, 0x35], "BAD_JUMP_TARGET"),
    code("target/self-loop-valid", "a jump to itself is a valid target (it runs out of cycles)", [0x30, 0x00, 0x00], null, { expect: { status: "TRAP", code: "OUT_OF_CYCLES" } }),
    { name: "target/before-function-table", description: "a bad target wins over a bad function table", source: `.func main 0 0 9\n.byte 0x30 0x05 0x00 0x35`, expect: inv("BAD_JUMP_TARGET") },
    // §7 step 11
    { name: "functions/empty", description: "an empty function table", source: OK, contract: (c) => { c.functions = []; }, expect: inv("BAD_FUNCTION_TABLE") },
    { name: "functions/32", description: "MAX_FUNCTIONS entries are allowed", source: fnTable(32), fn: "f31", expect: okExpect },
    { name: "functions/33", description: "one more entry is BAD_FUNCTION_TABLE", source: fnTable(33), expect: inv("BAD_FUNCTION_TABLE") },
    { name: "functions/duplicate", description: "two functions with the same name", source: ".func a 0 1 e\n.func a 0 1 e\ne:\nPUSH 1\nHALT", expect: inv("BAD_FUNCTION_TABLE") },
    { name: "functions/empty-name", description: "an empty name", source: '.func "" 0 1 e\ne:\nPUSH 1\nHALT', fn: "", expect: inv("BAD_FUNCTION_TABLE") },
    { name: "functions/name-32", description: "a 32-byte name is allowed", source: `.func ${"n".repeat(32)} 0 1\nPUSH 1\nHALT`, expect: okExpect },
    { name: "functions/name-33", description: "a 33-byte name", source: `.func ${"n".repeat(33)} 0 1\nPUSH 1\nHALT`, expect: inv("BAD_FUNCTION_TABLE") },
    { name: "functions/name-utf8-32-bytes", description: "16 two-byte characters are 32 bytes: allowed", source: `.func "${"é".repeat(16)}" 0 1\nPUSH 1\nHALT`, expect: okExpect },
    { name: "functions/name-utf8-34-bytes", description: "17 two-byte characters are 34 bytes: too long", source: `.func "${"é".repeat(17)}" 0 1\nPUSH 1\nHALT`, expect: inv("BAD_FUNCTION_TABLE") },
    { name: "functions/entry-mid-instruction", description: "an entry inside an immediate", source: ".func main 0 1 1\nPUSH 1\nHALT", expect: inv("BAD_FUNCTION_TABLE") },
    { name: "functions/entry-at-end", description: "an entry equal to the code length", source: ".func main 0 1 4\nPUSH 1\nHALT", expect: inv("BAD_FUNCTION_TABLE") },
    { name: "functions/args-16", description: "MAX_ARGS arguments", source: ".func main 16 1\nHALT", args: Array.from({ length: 16 }, (_, i) => BigInt(i)), expect: { status: "HALT", returns: [15n] } },
    { name: "functions/args-17", description: "17 declared arguments", source: ".func main 17 1\nHALT", args: Array.from({ length: 17 }, (_, i) => BigInt(i)), expect: inv("BAD_FUNCTION_TABLE") },
    { name: "functions/rets-17", description: "17 declared return values", source: ".func main 0 17\nHALT", expect: inv("BAD_FUNCTION_TABLE") },
    { name: "functions/bad-entry-in-other-function", description: "a bad entry in a function the job does not call still rejects the contract", source: ".func main 0 1\nPUSH 1\nHALT\n.func other 0 0 1", expect: inv("BAD_FUNCTION_TABLE") },
    // §7 steps 12-16
    { name: "job/unknown-function", description: "a function the contract does not export", source: OK, fn: "nope", expect: inv("UNKNOWN_FUNCTION") },
    { name: "job/function-case", description: "names match exactly (case-sensitive)", source: OK, fn: "Main", expect: inv("UNKNOWN_FUNCTION") },
    { name: "job/too-few-args", description: "one argument short", source: main("HALT", { args: 2 }), args: [1n], expect: inv("ARGUMENT_MISMATCH") },
    { name: "job/too-many-args", description: "one argument too many", source: main("HALT", { args: 0 }), args: [1n], expect: inv("ARGUMENT_MISMATCH") },
    { name: "job/input-too-large", description: "an input one byte larger than max_memory", source: main("HALT", { memory: 16 }), input: new Uint8Array(17), expect: inv("INPUT_TOO_LARGE") },
    { name: "job/input-with-zero-memory", description: "any input with max_memory 0", source: main("HALT", { memory: 0 }), input: new Uint8Array(1), expect: inv("INPUT_TOO_LARGE") },
    { name: "context/sender-15", description: "a 15-byte sender", source: OK, sender: new Uint8Array(15), expect: inv("BAD_CONTEXT") },
    { name: "context/self-17", description: "a 17-byte self", source: OK, self: new Uint8Array(17), expect: inv("BAD_CONTEXT") },
    { name: "context/epoch-2-63", description: "an epoch of 2^63", source: OK, epoch: 1n << 63n, expect: inv("BAD_CONTEXT") },
    { name: "context/balance-key-15", description: "a 15-byte balance key", source: OK, balances: { [hex(new Uint8Array(15))]: 1n }, expect: inv("BAD_CONTEXT") },
    { name: "context/balance-2-63", description: "a balance of 2^63", source: OK, balances: { [hex(SELF)]: 1n << 63n }, expect: inv("BAD_CONTEXT") },
    { name: "context/balance-max-ok", description: "a balance of 2^63-1", source: OK, balances: { [hex(SELF)]: (1n << 63n) - 1n }, expect: okExpect },
    { name: "state/key-empty", description: "a prior-state key of length 0", source: OK, state: new Map([["", new Uint8Array(1)]]), expect: inv("BAD_PRIOR_STATE") },
    { name: "state/key-65", description: "a prior-state key of 65 bytes", source: OK, state: new Map([["ab".repeat(65), new Uint8Array(1)]]), expect: inv("BAD_PRIOR_STATE") },
    { name: "state/too-large", description: "a prior state larger than max_state_size", source: main("PUSH 1\nHALT", { rets: 1, state: 10 }), state: new Map([["01", new Uint8Array(6)]]), expect: inv("BAD_PRIOR_STATE") },
    { name: "state/exactly-full", description: "a prior state of exactly max_state_size", source: main("PUSH 1\nHALT", { rets: 1, state: 10 }), state: new Map([["01", new Uint8Array(5)]]), expect: okExpect },
    { name: "order/context-before-state", description: "a bad context wins over a bad prior state", source: OK, sender: new Uint8Array(1), state: new Map([["", new Uint8Array(1)]]), expect: inv("BAD_CONTEXT") },
    { name: "order/input-before-context", description: "a too-large input wins over a bad context", source: main("HALT", { memory: 0 }), input: new Uint8Array(1), sender: new Uint8Array(1), expect: inv("INPUT_TOO_LARGE") },
  ],
};
