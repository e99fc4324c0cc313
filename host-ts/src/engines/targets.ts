/**
 * Every name the tools accept — `--engine`, `--engines`, `--board` — is
 * resolved here, in one place: the in-process engines, and one target per
 * board profile (boards/*.json). A board that needs no serial port (every
 * port but esp-idf) is also an engine, under its profile's `engine` name; a
 * real board needs its port. Engines are created lazily, so `mhr asm` never
 * loads WebAssembly or spawns QEMU.
 */
import { UserError } from "../model/errors.ts";
import type { Engine } from "../model/engine.ts";
import { BoardProfileError, loadBoards, type BoardProfile } from "../boards/profiles.ts";
import type { FaultOptions } from "../protocol/faults.ts";

export interface TargetOptions {
  /** Serial port of a real board. */
  port?: string;
  /** Inject link faults (board targets only). */
  faults?: FaultOptions;
  /** Ask a board for the final state after each run (the in-process engines always report it). */
  fetchState?: boolean;
}

export interface Target {
  /** The name `--engine` uses (the board's name for real boards). */
  name: string;
  /** Other names that resolve to the same target (a virtual board's board name). */
  aliases: readonly string[];
  tier: "mhr-byte" | "wasm";
  doc: string;
  /** The board profile of targets that are boards. */
  board?: BoardProfile;
  /** A real board: create() needs a port. */
  needsPort: boolean;
  create(opts?: TargetOptions): Promise<Engine>;
}

const IN_PROCESS: readonly Target[] = [
  { name: "reference", aliases: [], tier: "mhr-byte", needsPort: false, doc: "TypeScript reference interpreter (the executable specification)", create: async () => (await import("./reference-engine.ts")).createReferenceEngine() },
  { name: "as", aliases: [], tier: "mhr-byte", needsPort: false, doc: "AssemblyScript VM release build, in-process WebAssembly", create: async () => (await import("./as-engine.ts")).createAsEngine() },
  { name: "wasm-tier", aliases: [], tier: "wasm", needsPort: false, doc: "fuel-metered WASM tier sandbox", create: async () => (await import("./wasm-tier-engine.ts")).createWasmTierEngine() },
];

function boardTarget(b: BoardProfile): Target {
  const real = b.engine === null;
  return {
    name: b.engine ?? b.name,
    aliases: b.engine !== null && b.engine !== b.name ? [b.name] : [],
    tier: "mhr-byte",
    doc: b.description,
    board: b,
    needsPort: real,
    create: async (opts = {}) => {
      if (real && !opts.port) throw new UserError(`board ${b.name} is a real board: give its serial port with --port (see \`mhr ports\`)`);
      return (await import("./board-engines.ts")).createBoardEngine(b, opts);
    },
  };
}

function boards(): BoardProfile[] {
  try {
    return loadBoards();
  } catch (e) {
    if (e instanceof BoardProfileError) throw new UserError(e.message);
    throw e;
  }
}

/** Every target: the in-process engines, the boards that are engines, then the real boards. */
export function targets(): Target[] {
  const fromBoards = boards().map(boardTarget);
  return [IN_PROCESS[0], IN_PROCESS[1], ...fromBoards.filter((t) => !t.needsPort), IN_PROCESS[2], ...fromBoards.filter((t) => t.needsPort)];
}

/** The target of a name (engine or board); an unknown name lists the known ones. */
export function resolveTarget(name: string, want?: Target["tier"]): Target {
  const all = targets();
  const t = all.find((x) => x.name === name || x.aliases.includes(name));
  if (!t) {
    const engines = all.filter((x) => !x.needsPort).map((x) => x.name).join(", ");
    const real = all.filter((x) => x.needsPort).map((x) => x.name).join(", ");
    throw new UserError(`unknown engine or board "${name}"; engines: ${engines}; boards with a serial port: ${real}`, 2);
  }
  if (want && t.tier !== want) throw new UserError(`${t.name} runs ${t.tier === "wasm" ? "WASM-tier" : "MHR-Byte"} jobs, not ${want === "wasm" ? "WASM-tier" : "MHR-Byte"} ones`, 2);
  return t;
}

/** An engine by name, created; boards report their final state (as the in-process engines do) unless told otherwise. */
export async function createEngine(name: string, opts: TargetOptions = {}): Promise<Engine> {
  return resolveTarget(name).create({ fetchState: true, ...opts });
}
