/**
 * Compiles the AssemblyScript contracts and benchmark kernels in
 * examples/wasm/ to examples/wasm/bin/*.wasm with the pinned compiler options
 * (the output is deterministic for a given AssemblyScript version).
 *   npx tsx examples/wasm/build.ts           build all
 *   npx tsx examples/wasm/build.ts --check   exit 1 if a committed .wasm is stale
 */
import asc from "assemblyscript/asc";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** Sources compiled to bin/<name>.wasm. */
export const SOURCES = ["gcounter", "naming", "access-control", "bench/sort", "bench/blake3", "bench/sieve"] as const;

export const ASC_FLAGS = ["-O3", "--runtime", "stub", "--use", "abort=", "--noExportMemory"];

export async function compile(name: string): Promise<Uint8Array> {
  const src = join(here, `${name}.ts`);
  let binary: Uint8Array | null = null;
  const stderr: string[] = [];
  const { error } = await asc.main([src, "--config", join(here, "asconfig.json"), "--outFile", "out.wasm", ...ASC_FLAGS], {
    readFile: (f: string, base: string) => {
      const p = join(base, f);
      return existsSync(p) ? readFileSync(p, "utf8") : null;
    },
    writeFile: (f: string, contents: Uint8Array | string) => {
      if (f.endsWith(".wasm")) binary = contents as Uint8Array;
    },
    listFiles: () => [],
    stderr: { write: (s: string) => { stderr.push(String(s)); return true; } } as never,
    stdout: { write: () => true } as never,
  });
  if (error || !binary) throw new Error(`asc ${name}: ${error?.message ?? "no output"}\n${stderr.join("")}`);
  return binary;
}

async function main() {
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const name of SOURCES) {
    const out = join(here, "bin", `${name.replace("/", "-")}.wasm`);
    const bin = await compile(name);
    if (check) {
      const old = existsSync(out) ? readFileSync(out) : null;
      if (!old || Buffer.compare(old, Buffer.from(bin)) !== 0) {
        console.error(`stale: ${out}`);
        stale++;
      }
      continue;
    }
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, bin);
    console.log(`${out}: ${bin.length} bytes`);
  }
  if (stale) process.exit(1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
