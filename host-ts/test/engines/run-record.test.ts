/**
 * One run record and one too-large-job rule: every engine answers a job over
 * MAX_JOB_SIZE with the same bytes without running it, every record's
 * resultHash is Blake3 of its result bytes, and only the model hashes results.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ErrorCode, Limit, Status } from "../../src/generated/opcodes.ts";
import { decodeResult, encodeResult, hash32, jobSizeError, tooLargeJobResult } from "../../src/model/codec.ts";
import { runRecord, runRecordOf } from "../../src/model/engine.ts";
import { createReferenceEngine } from "../../src/engines/reference-engine.ts";
import { createAsEngine, DEFAULT_WASM_PATH } from "../../src/engines/as-engine.ts";
import { createLinkEngine } from "../../src/protocol/link-engine.ts";
import { BoardClient } from "../../src/protocol/client.ts";
import { bytesToHex } from "../../src/model/bytes.ts";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const huge = new Uint8Array(Limit.MAX_JOB_SIZE + 1).fill(0xa0);

describe("the too-large-job rule", () => {
  it("is SPEC §7 step 0 with the limit as a parameter", () => {
    expect(jobSizeError(Limit.MAX_JOB_SIZE)).toBeUndefined();
    expect(jobSizeError(Limit.MAX_JOB_SIZE + 1)).toBe(ErrorCode.JOB_TOO_LARGE);
    expect(jobSizeError(10, 9)).toBe(ErrorCode.JOB_TOO_LARGE);
    const r = tooLargeJobResult(huge)!;
    expect(r.status).toBe(Status.INVALID);
    expect(r.jobHash).toEqual(hash32(huge));
    expect(tooLargeJobResult(huge.subarray(1))).toBeUndefined();
  });

  it("gives the same bytes on the reference, the as VM and a board link (which sends nothing)", async () => {
    const expected = bytesToHex(encodeResult(tooLargeJobResult(huge)!));
    expect(bytesToHex((await createReferenceEngine().run(huge)).resultBytes)).toBe(expected);
    if (existsSync(DEFAULT_WASM_PATH)) {
      const as = await createAsEngine();
      expect(bytesToHex((await as.run(huge)).resultBytes)).toBe(expected);
      await as.close();
    }
    const written: Uint8Array[] = [];
    const link = createLinkEngine("nowhere", new BoardClient({ write: (b) => written.push(b), onData: () => undefined }));
    expect(bytesToHex((await link.run(huge)).resultBytes)).toBe(expected);
    expect(written).toEqual([]);
    await link.close();
  });
});

describe("the run record", () => {
  it("decodes or encodes once and carries the hash of exactly its bytes", () => {
    const r = tooLargeJobResult(huge)!;
    const a = runRecordOf(r, { cpuCycles: 5 });
    expect(a.resultHash).toEqual(hash32(a.resultBytes));
    expect(a.cpuCycles).toBe(5);
    const b = runRecord(a.resultBytes);
    expect(b.result).toEqual(decodeResult(a.resultBytes));
    expect(b.resultHash).toEqual(a.resultHash);
    expect(() => runRecord(Uint8Array.of(0xa0))).toThrow(/not a result/);
  });

  it("is made in one place: no other source hashes result bytes or patches them", () => {
    const files = execFileSync("git", ["ls-files", "host-ts/src"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter((f) => f.endsWith(".ts"));
    const hashesResults = files.filter((f) => f !== "host-ts/src/model/engine.ts" && /(hash32|blake3)\([\w.]*resultBytes\)|function \w+\(\w+: Uint8Array\): Uint8Array \{\s*return hash32\(\w+\);\s*\}/.test(readFileSync(`${ROOT}/${f}`, "utf8")));
    expect(hashesResults).toEqual([]);
    const tooLargeRule = files.filter((f) => f !== "host-ts/src/model/codec.ts" && !f.includes("/generated/") && /ErrorCode\.JOB_TOO_LARGE|> Limit\.MAX_JOB_SIZE/.test(readFileSync(`${ROOT}/${f}`, "utf8")));
    expect(tooLargeRule).toEqual([]);
  });
});
