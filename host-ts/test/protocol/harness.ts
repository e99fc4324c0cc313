/**
 * Test harness for the board protocol: builds the C protocol with the FAKE VM
 * (fixtures/fake_vm.c) and the stdio test port (fixtures/fake_port.c) with gcc
 * into a temp dir, and runs it as a child process behind a ByteStream.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ByteStream } from "../../src/protocol/client.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, "../../..");
const PROTO = join(REPO, "firmware/components/mhr_byte/proto");
const VM_INCLUDE = join(REPO, "firmware/components/mhr_byte/include");
const FIXTURES = join(here, "fixtures");

/** The real host port, when `npm run build:firmware` has built it. */
export const REAL_HOST_PORT = join(REPO, "build/firmware/host/mhr-host");

let built: string | undefined;

/** Compiles proto + fake VM + stdio port once per test file; returns the executable's path. */
export function buildFakeBoard(): string {
  if (built) return built;
  const dir = mkdtempSync(join(tmpdir(), "mhr-proto-"));
  const exe = join(dir, "fake-board");
  const sources = [
    ...readdirSync(PROTO).filter((f) => f.endsWith(".c")).map((f) => join(PROTO, f)),
    join(FIXTURES, "fake_vm.c"),
    join(FIXTURES, "fake_port.c"),
  ];
  const common = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", `-I${PROTO}`, `-I${VM_INCLUDE}`, `-I${join(FIXTURES, "include")}`, "-o", exe, ...sources];
  try {
    // ASan/UBSan catch any out-of-bounds write the fault tests provoke.
    execFileSync("gcc", ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", ...common], { stdio: "pipe" });
  } catch {
    execFileSync("gcc", common, { stdio: "pipe" }); // a toolchain without sanitizer runtimes
  }
  built = exe;
  return exe;
}

export interface ChildBoard {
  stream: ByteStream;
  /** Extra listeners (the raw tests watch replies beside the client). */
  listen(cb: (chunk: Uint8Array) => void): void;
  proc: ChildProcessWithoutNullStreams;
  /** Closes stdin (EOF: mhr_proto_serve returns) and waits for the exit code. */
  close(): Promise<number | null>;
  stderr(): string;
}

export function spawnBoard(exe: string): ChildBoard {
  const proc = spawn(exe, [], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ASAN_OPTIONS: "detect_leaks=0" } });
  const listeners: ((chunk: Uint8Array) => void)[] = [];
  let err = "";
  proc.stdout.on("data", (b: Buffer) => {
    const chunk = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    for (const l of listeners) l(chunk);
  });
  proc.stderr.on("data", (b: Buffer) => { err += b.toString(); });
  proc.stdin.on("error", () => undefined);
  const exited = new Promise<number | null>((res) => proc.on("exit", (code) => res(code)));
  return {
    stream: {
      write: (bytes) => { proc.stdin.write(Buffer.from(bytes)); },
      onData: (cb) => { listeners.push(cb); },
    },
    listen: (cb) => { listeners.push(cb); },
    proc,
    close: async () => {
      proc.stdin.end();
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    stderr: () => err,
  };
}

export function haveRealHostPort(): boolean {
  return existsSync(REAL_HOST_PORT);
}

// ---- the fake VM's digest, recomputed (fixtures/fake_vm.c) ---------------------

const FNV_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

export function fakeDigest(job: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  for (let lane = 0; lane < 4; lane++) {
    let h = 0xcbf29ce484222325n + BigInt(lane);
    for (const b of job) h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK64;
    for (let k = 0; k < 8; k++) out[lane * 8 + k] = Number((h >> BigInt(8 * k)) & 0xffn);
  }
  return out;
}

/** The output of the fake VM's "BIGR" hook: byte i = digest[i % 32] ^ (i / 32). */
export function bigOutput(job: Uint8Array, n: number): Uint8Array {
  const d = fakeDigest(job);
  return Uint8Array.from({ length: Math.min(n, 8192) }, (_, i) => d[i % 32] ^ (Math.floor(i / 32) & 0xff));
}
