/**
 * The C protocol (firmware/components/mhr_byte/proto) with the FAKE VM, built
 * with gcc (ASan/UBSan on) and driven over stdio: by raw frames, to check every
 * error reply, and by the BoardClient and the link engine.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { buildFakeBoard, spawnBoard, fakeDigest, type ChildBoard } from "./harness.ts";
import { Deframer, encodeFrame, frameBody, wrapWire, cobsEncode, type Frame, type FrameResult } from "../../src/protocol/framing.ts";
import { parseHello, parseRunReply } from "../../src/protocol/messages.ts";
import { MAX_PAYLOAD, Msg, ProtoError } from "../../src/generated/protocol.ts";
import { BoardClient, BoardError, type ClientEvent } from "../../src/protocol/client.ts";
import { createLinkEngine } from "../../src/protocol/link-engine.ts";
import { decodeResult, hash32 } from "../../src/model/codec.ts";
import { ErrorCode, Status } from "../../src/generated/opcodes.ts";

const ascii = (s: string) => new TextEncoder().encode(s);

let exe: string;
beforeAll(() => { exe = buildFakeBoard(); });

/** Raw access: send bytes, wait for n reply frames (the boot announcement is skipped). */
function rawBoard(): { board: ChildBoard; send(b: Uint8Array): void; next(n: number): Promise<Frame[]> } {
  const board = spawnBoard(exe);
  const got: FrameResult[] = [];
  let announced = false;
  const waiters: (() => void)[] = [];
  const d = new Deframer((r) => {
    if (!announced && r.ok && r.frame.id === 0 && r.frame.type === (Msg.HELLO | Msg.REPLY)) { announced = true; return; }
    got.push(r);
    for (const w of waiters.splice(0)) w();
  });
  board.listen((c) => d.push(c));
  return {
    board,
    send: (b) => board.stream.write(b),
    next: async (n) => {
      const deadline = Date.now() + 5000;
      while (got.length < n) {
        if (Date.now() > deadline) throw new Error(`waited for ${n} frames, got ${got.length}: ${JSON.stringify(got)} ${board.stderr()}`);
        await new Promise<void>((res) => { waiters.push(res); setTimeout(res, 50); });
      }
      const out = got.splice(0, n);
      for (const r of out) if (!r.ok) throw new Error(`board sent a damaged frame: ${JSON.stringify(r)}`);
      return out.map((r) => (r.ok ? r.frame : (undefined as never)));
    },
  };
}

const run = (id: number, job: Uint8Array): Frame => ({ type: Msg.RUN, id, arg: 0, payload: job });

function expectOwnResult(f: Frame, id: number, job: Uint8Array) {
  expect(f.type).toBe(Msg.RUN | Msg.REPLY);
  expect(f.id).toBe(id);
  const r = decodeResult(parseRunReply(f.payload).resultBytes);
  expect(r.jobHash).toEqual(fakeDigest(job));
  expect(r.cycles).toBe(job.length);
}

describe("C protocol + fake VM, raw frames", () => {
  let b: ReturnType<typeof rawBoard>;
  beforeAll(() => { b = rawBoard(); });
  afterAll(async () => {
    expect(await b.board.close()).toBe(0);
    expect(b.board.stderr()).toBe("");
  });

  it("answers each corrupt, truncated, oversized and unknown frame in order, and every job with its own result", async () => {
    const jobs = [ascii("job-one"), ascii("job-two\u0000with zero"), new Uint8Array(3000).map((_, i) => i & 0xff), ascii("job-four")];
    const crcBad = encodeFrame(run(10, ascii("x"))); crcBad[crcBad.length - 3] ^= 0x10;
    const truncated = encodeFrame(run(12, new Uint8Array(500).fill(3))).subarray(0, 200);
    const hdrBad = wrapWire((() => { const body = frameBody(run(99, ascii("y"))); body[6] ^= 4; return body; })());
    const trailing = wrapWire(new Uint8Array([...frameBody(run(18, ascii("z"))), 0x42]));
    const seq: [Uint8Array, number, number | "run", Uint8Array?][] = [
      [crcBad, 10, ProtoError.BAD_CRC],
      [encodeFrame(run(11, jobs[0])), 11, "run", jobs[0]],
      [new Uint8Array([...truncated, 0]), 12, ProtoError.TRUNCATED],
      [encodeFrame(run(13, jobs[1])), 13, "run", jobs[1]],
      [wrapWire(frameBody(run(14, ascii("big")), { len: MAX_PAYLOAD + 1 })), 14, ProtoError.FRAME_TOO_LARGE],
      [new Uint8Array([0, 0x05, 0x11, 0x22, 0]), 0, ProtoError.BAD_FRAME],
      [hdrBad, 0, ProtoError.BAD_HEADER],
      [encodeFrame(run(15, jobs[2])), 15, "run", jobs[2]],
      [encodeFrame({ type: 0x42, id: 16, arg: 0, payload: new Uint8Array(0) }), 16, ProtoError.UNKNOWN_COMMAND],
      [wrapWire(frameBody(run(17, ascii("v2")), { version: 2 })), 17, ProtoError.UNSUPPORTED_VERSION],
      [trailing, 18, ProtoError.BAD_LENGTH],
      [encodeFrame({ type: Msg.BENCH, id: 19, arg: 0, payload: ascii("n=0") }), 19, ProtoError.BAD_ARGUMENT],
      [encodeFrame({ type: Msg.HELLO, id: 20, arg: 0, payload: ascii("extra") }), 20, ProtoError.BAD_ARGUMENT],
      [encodeFrame(run(21, ascii("FAIL"))), 21, ProtoError.VM_FAILURE],
      [encodeFrame(run(22, jobs[3])), 22, "run", jobs[3]],
    ];
    // All at once, as one interleaved burst, then one by one.
    for (const mode of ["burst", "single"]) {
      if (mode === "burst") b.send(new Uint8Array(seq.flatMap(([w]) => [...w])));
      const replies: Frame[] = [];
      for (const [w] of seq) {
        if (mode === "single") { b.send(w); replies.push(...(await b.next(1))); }
      }
      if (mode === "burst") replies.push(...(await b.next(seq.length)));
      seq.forEach(([, id, want, job], i) => {
        const f = replies[i];
        if (want === "run") expectOwnResult(f, id, job!);
        else expect({ type: f.type, id: f.id, code: f.arg }).toEqual({ type: Msg.ERROR, id, code: want });
      });
    }
  });

  it("ignores empty frames and survives a real oversized frame, an endless run and a flood of zeros", async () => {
    const big = new Uint8Array(MAX_PAYLOAD + 4000).fill(0x5a);
    b.send(encodeFrame(run(30, big)));
    b.send(new Uint8Array(200_000).fill(0x7e)); // no delimiter for 200 KB
    b.send(new Uint8Array([0]));
    b.send(new Uint8Array(1000)); // 1000 empty frames: no replies
    const job = new Uint8Array(MAX_PAYLOAD).map((_, i) => (i * 13) & 0xff);
    b.send(encodeFrame(run(31, job)));
    const [tooLarge, endless, ok] = await b.next(3);
    expect({ id: tooLarge.id, code: tooLarge.arg }).toEqual({ id: 30, code: ProtoError.FRAME_TOO_LARGE });
    expect({ id: endless.id, type: endless.type }).toEqual({ id: 0, type: Msg.ERROR });
    expectOwnResult(ok, 31, job);
  });

  it("tolerates a frame whose closing delimiter was lost by judging it at the next one", async () => {
    const a = encodeFrame(run(40, ascii("first")));
    b.send(a.subarray(0, a.length - 1));
    b.send(encodeFrame(run(41, ascii("second"))));
    const [r1, r2] = await b.next(2);
    expectOwnResult(r1, 40, ascii("first"));
    expectOwnResult(r2, 41, ascii("second"));
  });

  it("sends a COBS-valid stream (every reply parses)", async () => {
    b.send(new Uint8Array([0, ...cobsEncode(frameBody({ type: Msg.HELLO, id: 50, arg: 0, payload: new Uint8Array(0) })), 0]));
    const [h] = await b.next(1);
    expect(h.type).toBe(Msg.HELLO | Msg.REPLY);
    expect(parseHello(h.payload).buildId).toBe("fake-vm-0");
  });
});

describe("C protocol + fake VM, BoardClient", () => {
  let board: ChildBoard;
  let client: BoardClient;
  const events: ClientEvent[] = [];
  beforeAll(() => {
    board = spawnBoard(exe);
    client = new BoardClient(board.stream, { timeoutMs: 1000, onEvent: (e) => events.push(e) });
  });
  afterAll(async () => {
    client.close();
    expect(await board.close()).toBe(0);
    expect(board.stderr()).toBe("");
  });

  it("reports HELLO fields", async () => {
    const h = await client.hello();
    expect(h).toEqual({
      protocolVersion: 1, specVersion: 1, chip: "host-fake", cpuHz: 1_000_000_000, port: "stdio",
      firmwareVersion: "0.1.0", buildId: "fake-vm-0", maxPayload: MAX_PAYLOAD, maxBench: 1_000_000,
      features: { instret: false, reset: true, vmReady: true }, timerOverhead: h.timerOverhead,
    });
    expect(events.some((e) => e.kind === "announce")).toBe(true);
  });

  it("runs, benches and reports state", async () => {
    const job = ascii("a job for run and bench");
    const r = await client.run(job);
    expect(decodeResult(r.resultBytes).jobHash).toEqual(fakeDigest(job));
    expect(r.instret).toBeUndefined();
    const st = await client.state();
    expect(st).toEqual(new Uint8Array([0xa1, 0x43, 0x6a, 0x6f, 0x62, 0x48, ...fakeDigest(job).subarray(0, 8)]));
    const bench = await client.bench(job, 25);
    expect(bench.iterations).toBe(25);
    expect(bench.resultVaried).toBe(false);
    expect(bench.resultBytes).toEqual(r.resultBytes);
    expect(bench.minCycles).toBeLessThanOrEqual(bench.maxCycles);
    expect(bench.totalCycles).toBeGreaterThanOrEqual(BigInt(bench.minCycles) * 25n);
    await expect(client.bench(job, 2_000_000)).rejects.toMatchObject({ codeName: "BAD_ARGUMENT" });
  });

  it("resets, after which there is no state", async () => {
    await client.reset();
    expect(await client.state()).toBeUndefined();
    await expect(client.run(ascii("FAIL"))).rejects.toBeInstanceOf(BoardError);
  });

  it("discards a late reply to an earlier attempt and takes the retry's", async () => {
    const quick = new BoardClient(board.stream, { timeoutMs: 150, bytesPerSecond: 1e7, retries: 3 });
    const job = new Uint8Array([...ascii("SLOW"), 0x90, 0x01, ...ascii("late")]); // 400 ms on the first run
    const before = { ...quick.stats };
    const r = await quick.run(job);
    expect(decodeResult(r.resultBytes).jobHash).toEqual(fakeDigest(job));
    expect(quick.stats.retries - before.retries).toBeGreaterThanOrEqual(1);
    await new Promise((res) => setTimeout(res, 50));
    expect(quick.stats.staleReplies).toBeGreaterThanOrEqual(1);
    quick.close();
  });

  it("answers over-large jobs with JOB_TOO_LARGE without sending them", async () => {
    const engine = createLinkEngine("fake-board", client, { fetchState: true, verifyJobHash: false });
    const sent = client.stats.requests;
    const huge = new Uint8Array(MAX_PAYLOAD + 1);
    const out = await engine.run(huge);
    expect(client.stats.requests).toBe(sent);
    expect(out.result.status).toBe(Status.INVALID);
    expect(out.result.code).toBe(BigInt(ErrorCode.JOB_TOO_LARGE));
    expect(out.result.jobHash).toEqual(hash32(huge));
    expect(out.resultHash).toEqual(hash32(out.resultBytes));

    const job = ascii("through the engine");
    const ok = await engine.run(job);
    expect(ok.result.jobHash).toEqual(fakeDigest(job));
    expect(ok.cpuCycles).toBeGreaterThan(0);
    expect(ok.state?.get("6a6f62")).toEqual(fakeDigest(job).subarray(0, 8));
    await expect(engine.run(ascii("FAIL"))).rejects.toMatchObject({ name: "EngineError", code: "BOARD_VM_FAILURE" });
  });
});
