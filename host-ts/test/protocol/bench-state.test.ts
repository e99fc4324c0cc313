/**
 * BENCH runs one job N times from the same buffer, so the VM must never write
 * the job buffer during a run — including a run that changes the state, whose
 * encoding is only written when the host asks for the state (docs/ABI.md).
 */
import { describe, it, expect } from "vitest";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createBoardEngine } from "../../src/engines/board-engines.ts";
import { getBoard } from "../../src/boards/profiles.ts";
import { assemble } from "../../src/asm/index.ts";
import { encodeJob, decodeState, stateHash } from "../../src/model/codec.ts";
import { makeJob } from "../../src/model/job.ts";
import { bytesToHex } from "../../src/model/bytes.ts";

const HOST = fileURLToPath(new URL("../../../build/firmware/host/mhr-host", import.meta.url));

describe.skipIf(!existsSync(HOST))("BENCH with a state-changing job (native port)", () => {
  it("gives the same result every run and the state afterwards", async () => {
    const c = assemble('.func main 0 0\n.data 0 "k"\n.data 8 "value"\nPUSH 0\nPUSH 1\nPUSH 8\nPUSH 5\nSTORE.state\nHALT');
    const job = encodeJob(makeJob(c, { state: new Map([["01", new Uint8Array(3)]]) }));
    const e = await createBoardEngine(getBoard("host"));
    try {
      const b = await e.client.bench(job, 5);
      expect(b.resultVaried).toBe(false);
      expect(b.iterations).toBe(5);
      const st = await e.client.state();
      const state = decodeState(st!);
      expect([...state.keys()].sort()).toEqual(["01", bytesToHex(new TextEncoder().encode("k"))]);
      const run = await e.run(job);
      expect(bytesToHex(run.result.stateHash)).toBe(bytesToHex(stateHash(state)));
    } finally {
      await e.close();
    }
  });
});
