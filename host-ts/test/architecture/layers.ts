/**
 * The layer map of host-ts/src (README "Layers") and the rule over its import
 * graph: an import points to a directory of a strictly lower rank, or stays
 * in its own directory. Ranks within a layer order the few directories of one
 * layer that build on each other (flash on boards and serial, virtual boards
 * on flash's image format; conform and fuzz on vectors; the node on private);
 * siblings of equal rank never import each
 * other, so the reference and the WASM tier, for instance, share only the
 * ground floor.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

export const LAYERS: Readonly<Record<string, number>> = {
  // 1 ground
  generated: 1.0,
  spec: 1.0,
  model: 1.1,
  crypto: 1.2,
  // 2 machines
  reference: 2.0,
  asm: 2.0,
  "wasm-tier": 2.0,
  protocol: 2.0,
  serial: 2.0,
  boards: 2.0,
  flash: 2.1,
  // the emulated chips boot esptool-format images from flash/
  virtual: 2.2,
  // 3 execution
  engines: 3.0,
  jobs: 3.0,
  // 4 network
  private: 4.0,
  node: 4.1,
  // 5 tools
  vectors: 5.0,
  calibrate: 5.0,
  sim: 5.0,
  conform: 5.1,
  fuzz: 5.1,
  // 6 the command line
  cli: 6.0,
};

/** Packages a directory must not import (private/'s math stays independent of the network stack). */
export const FORBIDDEN_PACKAGES: Readonly<Record<string, RegExp>> = {
  private: /^(libp2p|@libp2p\/|@chainsafe\/|@multiformats\/)/,
};

export interface Edge {
  /** Importing file, relative to the source root (posix separators). */
  from: string;
  /** The specifier as written. */
  specifier: string;
  /** Resolved target relative to the source root, for relative specifiers. */
  to?: string;
}

/** Module specifiers of static imports, re-exports, side-effect imports and dynamic import() calls. */
export function specifiersOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const out: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^'"]*?\sfrom\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1]);
  return out;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.(ts|mts|mjs|js)$/.test(name)) out.push(p);
  }
  return out;
}

const posix = (p: string): string => p.split(sep).join("/");

export function edgesOf(root: string): Edge[] {
  const edges: Edge[] = [];
  for (const file of walk(root)) {
    const from = posix(relative(root, file));
    for (const specifier of specifiersOf(readFileSync(file, "utf8"))) {
      const to = specifier.startsWith(".") ? posix(relative(root, resolve(dirname(file), specifier))) : undefined;
      edges.push({ from, specifier, ...(to !== undefined ? { to } : {}) });
    }
  }
  return edges;
}

const top = (path: string): string => path.split("/")[0];

/** One line per broken rule; empty when the graph keeps to the layers. */
export function violations(edges: readonly Edge[], files: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const f of files) if (!(top(f) in LAYERS) || !f.includes("/")) out.push(`${f}: not in a directory of the layer map`);
  for (const e of edges) {
    const src = top(e.from);
    if (e.to === undefined) {
      const banned = FORBIDDEN_PACKAGES[src];
      if (banned?.test(e.specifier)) out.push(`${e.from} imports ${e.specifier}: ${src}/ must not depend on it`);
      continue;
    }
    if (e.to.startsWith("..")) { out.push(`${e.from} imports ${e.specifier}: outside host-ts/src`); continue; }
    const dst = top(e.to);
    if (dst === src) continue;
    const rs = LAYERS[src], rd = LAYERS[dst];
    if (rs === undefined || rd === undefined) { out.push(`${e.from} -> ${e.to}: ${rs === undefined ? src : dst}/ is not in the layer map`); continue; }
    if (!(rd < rs)) out.push(`${e.from} imports ${e.to}: ${src}/ (rank ${rs}) may only import below itself, and ${dst}/ has rank ${rd}`);
  }
  return out;
}

export function sourceFiles(root: string): string[] {
  return walk(root).map((f) => posix(relative(root, f)));
}
