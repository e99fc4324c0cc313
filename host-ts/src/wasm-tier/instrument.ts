/**
 * Module validation and instrumentation for the WASM tier (docs/WASM.md
 * §Validation, §Fuel, §Stack, §Floats), on binaryen.js.
 *
 * `analyzeModule` reads a module and checks it against the tier's rules;
 * `instrumentModule` rewrites it so that it
 *   - charges fuel per metered region (function entry, loop body, if arm, and the
 *     code after a branch inside a block) *before* the region runs, from a
 *     static cost table; running short traps OUT_OF_CYCLES with the fuel
 *     counter unchanged, so the trap point is a pure function of the module
 *     and the job;
 *   - charges memory.grow / memory.copy / memory.fill by size at run time and
 *     refuses growth past the job's page limit;
 *   - counts stack depth in frame units and traps CALL_DEPTH_EXCEEDED long
 *     before the host stack could overflow;
 *   - canonicalises every NaN produced by float arithmetic, so float results
 *     are bit-identical on every machine;
 *   - exports the fuel counter, the trap cell, the page limit, the memory and
 *     the (neutralised) start function under reserved `__mhr_*` names.
 * The instrumented module does not depend on the job's limits (they are set
 * in globals before the first metered instruction), so it can be cached by
 * code hash.
 */
import { getBinaryen, type Binaryen } from "./binaryen.ts";
import { readLimits, stripCustomSections } from "./binary.ts";
import { HOST_BY_NAME, WASM_COSTS } from "./constants.ts";
import { HOST_MODULE, WASM_PAGE, WasmError, WasmLimit, WasmTrap } from "../generated/wasm-tier.ts";

type Ref = number;
// binaryen.js returns loosely typed info objects; this is the shape we read.
type Info = { id: number; type: number; [k: string]: any };

export interface ImportFact { module: string; name: string; kind: "function" | "memory" | "table" | "global" | "tag"; params?: string[]; results?: string[] }
export interface ExportFact { name: string; kind: "function" | "memory" | "table" | "global" | "tag"; params?: string[]; results?: string[] }

export interface ModuleFacts {
  size: number;
  imports: ImportFact[];
  exports: ExportFact[];
  /** Memory pages (initial, declared maximum), or null when the module has no memory. */
  memory: { initial: number; maximum: number | null; shared: boolean; is64: boolean } | null;
  tables: { initial: number; maximum: number | null }[];
  functions: { imported: number; defined: number };
  globals: number;
  dataSegments: { offset: number | null; length: number; passive: boolean }[];
  elementSegments: { offset: number | null; length: number }[];
  hasStart: boolean;
  /** Instructions per kind that the validator looks at (floats, bulk memory, grow...). */
  uses: Record<string, number>;
}

export interface ValidationFailure { ok: false; code: number; message: string }
export interface Analysis { ok: true; facts: ModuleFacts }

export interface InstrumentStats {
  functions: number;
  meteredRegions: number;
  staticFuel: number;
  canonicalisedFloatOps: number;
  bulkMemoryOps: number;
  growOps: number;
  maxFrameUnits: number;
  inputBytes: number;
  outputBytes: number;
  ms: number;
}

export interface Instrumented {
  binary: Uint8Array;
  stats: InstrumentStats;
  /** Export name of the neutralised start function, when the module has one. */
  start: string | null;
  hasMemory: boolean;
}

/** Reserved export names of the instrumented module. */
export const RESERVED = {
  fuel: "__mhr_fuel",
  trap: "__mhr_trap",
  depth: "__mhr_depth",
  maxPages: "__mhr_max_pages",
  memory: "__mhr_memory",
  start: "__mhr_start",
} as const;

// binaryen.js's typings miss the expression classes (Block, If, ...) and several module methods this
// file uses, so it is handled untyped here; tests and the vectors pin its behaviour.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
let B: Loose = null;
let BASIC_TYPES: Set<number>;
let VALUE_NAMES: Map<number, string>;
let ALLOWED_IDS: Set<number>;
let ID_NAMES: Record<number, string>;
let MUL_OPS: Set<number>, DIV_OPS: Set<number>, SQRT_OPS: Set<number>, NAN_UNARY: Set<number>, NAN_BINARY: Set<number>, TRAP_UNARY: Set<number>;

/** Binds binaryen and builds the tables that depend on its enum values (once). */
function init(): void {
  if (B) return;
  B = getBinaryen() as Binaryen as Loose;
  BASIC_TYPES = new Set<number>([B.none, B.unreachable, B.i32, B.i64, B.f32, B.f64]);
  VALUE_NAMES = new Map<number, string>([[B.i32, "i32"], [B.i64, "i64"], [B.f32, "f32"], [B.f64, "f64"]]);
  // Expression ids the tier allows; anything else is FORBIDDEN_FEATURE.
  ALLOWED_IDS = new Set<number>([
    B.NopId, B.BlockId, B.IfId, B.LoopId, B.BreakId, B.SwitchId, B.CallId, B.CallIndirectId,
    B.LocalGetId, B.LocalSetId, B.GlobalGetId, B.GlobalSetId, B.LoadId, B.StoreId, B.ConstId,
    B.UnaryId, B.BinaryId, B.SelectId, B.DropId, B.ReturnId, B.MemorySizeId, B.MemoryGrowId,
    B.UnreachableId, B.MemoryCopyId, B.MemoryFillId,
  ]);
  ID_NAMES = Object.fromEntries(
    Object.entries(B).filter(([k, v]) => k.endsWith("Id") && !k.startsWith("_") && typeof v === "number").map(([k, v]) => [v as number, k.slice(0, -2)]),
  );
  const O = B.Operations as Record<string, number>;
  MUL_OPS = new Set([O.MulInt32, O.MulInt64, O.MulFloat32, O.MulFloat64]);
  DIV_OPS = new Set([O.DivSInt32, O.DivUInt32, O.RemSInt32, O.RemUInt32, O.DivSInt64, O.DivUInt64, O.RemSInt64, O.RemUInt64, O.DivFloat32, O.DivFloat64]);
  SQRT_OPS = new Set([O.SqrtFloat32, O.SqrtFloat64]);
  // Float-to-int conversions that trap (the saturating ones do not).
  TRAP_UNARY = new Set(["S", "U"].flatMap((u) => ["Float32ToInt32", "Float32ToInt64", "Float64ToInt32", "Float64ToInt64"].map((t) => O[`Trunc${u}${t}`])));
  // Float operations whose result may be a NaN with an unspecified payload: canonicalised.
  NAN_UNARY = new Set([O.SqrtFloat32, O.SqrtFloat64, O.CeilFloat32, O.CeilFloat64, O.FloorFloat32, O.FloorFloat64, O.TruncFloat32, O.TruncFloat64, O.NearestFloat32, O.NearestFloat64, O.DemoteFloat64, O.PromoteFloat32]);
  NAN_BINARY = new Set([O.AddFloat32, O.AddFloat64, O.SubFloat32, O.SubFloat64, O.MulFloat32, O.MulFloat64, O.DivFloat32, O.DivFloat64, O.MinFloat32, O.MinFloat64, O.MaxFloat32, O.MaxFloat64]);
}

function typeNames(t: number): string[] {
  return (B.expandType(t) as number[]).map((x: number) => VALUE_NAMES.get(x) ?? `type#${x}`);
}

const fail = (code: number, message: string): ValidationFailure => ({ ok: false, code, message });

/** getExpressionInfo throws for ids without a wrapper class (nop, unreachable, ...): those have no children. */
function infoOf(e: Ref): Info {
  const id = B.getExpressionId(e);
  if (NO_INFO_IDS.has(id)) return { id, type: B.getExpressionType(e) };
  try {
    return B.getExpressionInfo(e) as Info;
  } catch {
    NO_INFO_IDS.add(id);
    return { id, type: B.getExpressionType(e) };
  }
}
const NO_INFO_IDS = new Set<number>();

function expressionIsConst(e: Ref): boolean {
  return e !== 0 && B.getExpressionId(e) === B.ConstId;
}

function constValue(e: Ref): number | null {
  if (!expressionIsConst(e)) return null;
  const info = infoOf(e);
  return typeof info.value === "number" ? info.value : null;
}

/** Walks every expression of a function body (pre-order), calling visit. */
function forEachExpression(root: Ref, visit: (e: Ref, info: Info) => void): void {
  const stack: Ref[] = [root];
  while (stack.length) {
    const e = stack.pop()!;
    if (!e) continue;
    const info = infoOf(e);
    visit(e, info);
    for (const c of childrenOf(info)) if (c) stack.push(c);
  }
}

function childrenOf(info: Info): Ref[] {
  switch (info.id) {
    case B.BlockId: return info.children as Ref[];
    case B.IfId: return [info.condition, info.ifTrue, info.ifFalse];
    case B.LoopId: return [info.body];
    case B.BreakId: return [info.value, info.condition];
    case B.SwitchId: return [info.value, info.condition];
    case B.CallId: return info.operands as Ref[];
    case B.CallIndirectId: return [...(info.operands as Ref[]), info.target];
    case B.LocalSetId: case B.GlobalSetId: case B.DropId: case B.ReturnId: return [info.value];
    case B.LoadId: return [info.ptr];
    case B.StoreId: return [info.ptr, info.value];
    case B.UnaryId: return [info.value];
    case B.BinaryId: return [info.left, info.right];
    case B.SelectId: return [info.ifTrue, info.ifFalse, info.condition];
    case B.MemoryGrowId: return [info.delta];
    case B.MemoryCopyId: return [info.dest, info.source, info.size];
    case B.MemoryFillId: return [info.dest, info.value, info.size];
    default: return [];
  }
}

/** Reads a (valid) module into binaryen without its custom sections, so internal names are indices ("0" is the memory). */
function readModule(code: Uint8Array): Loose {
  return B.readBinary(stripCustomSections(code));
}

/**
 * Reads and validates a module against the tier's static rules, in the order
 * of docs/WASM.md §Validation: malformed, imports, features, tables,
 * segments. The result does not depend on the job (cache it by code hash);
 * checkMemoryLimit then compares the memory with the job's max_memory.
 */
export function analyzeModule(code: Uint8Array): Analysis | ValidationFailure {
  init();
  let valid = false;
  try {
    valid = WebAssembly.validate(code as Uint8Array<ArrayBuffer>);
  } catch {
    valid = false;
  }
  if (!valid) return fail(WasmError.MALFORMED_MODULE, "not a valid WebAssembly module");
  let v8mod: WebAssembly.Module;
  try {
    v8mod = new WebAssembly.Module(code as Uint8Array<ArrayBuffer>);
  } catch (e) {
    return fail(WasmError.MALFORMED_MODULE, `module does not compile: ${(e as Error).message}`);
  }
  let mod: Loose;
  try {
    mod = readModule(code);
  } catch {
    return fail(WasmError.MALFORMED_MODULE, "module could not be read");
  }
  try {
    return analyzeRead(mod, v8mod, code);
  } finally {
    mod.dispose();
  }
}

function analyzeRead(mod: Loose, v8mod: WebAssembly.Module, code: Uint8Array): Analysis | ValidationFailure {
  // 1. Imports: only functions from "mehr", by name, with the exact signature.
  const imports: ImportFact[] = [];
  const nFuncs = mod.getNumFunctions();
  const funcInfo = new Map<string, Info>();
  let imported = 0;
  for (let i = 0; i < nFuncs; i++) {
    const info = B.getFunctionInfo(mod.getFunctionByIndex(i)) as unknown as Info;
    funcInfo.set(info.name, info);
    if (info.module) imported++;
  }
  for (const imp of WebAssembly.Module.imports(v8mod)) {
    const kind = imp.kind as ImportFact["kind"];
    if (kind !== "function") {
      imports.push({ module: imp.module, name: imp.name, kind });
      continue;
    }
    const f = [...funcInfo.values()].find((x) => x.module === imp.module && x.base === imp.name);
    imports.push({ module: imp.module, name: imp.name, kind, params: f ? typeNames(f.params) : [], results: f ? typeNames(f.results) : [] });
  }
  for (const imp of imports) {
    const where = `${imp.module}.${imp.name}`;
    if (imp.kind !== "function") return fail(WasmError.FORBIDDEN_IMPORT, `import ${where} is a ${imp.kind}; only host functions may be imported`);
    if (imp.module !== HOST_MODULE) return fail(WasmError.FORBIDDEN_IMPORT, `import ${where}: only module "${HOST_MODULE}" may be imported from`);
    const spec = HOST_BY_NAME.get(imp.name);
    if (!spec) return fail(WasmError.FORBIDDEN_IMPORT, `import ${where} is not in the host API`);
    const sig = (p: readonly string[], r: readonly string[]) => `(${p.join(",")})->(${r.join(",")})`;
    if (sig(imp.params!, imp.results!) !== sig(spec.params, spec.results)) {
      return fail(WasmError.FORBIDDEN_IMPORT, `import ${where} has type ${sig(imp.params!, imp.results!)}, the host API says ${sig(spec.params, spec.results)}`);
    }
  }

  // 2. Features: types and instructions.
  const uses: Record<string, number> = {};
  const note = (k: string) => { uses[k] = (uses[k] ?? 0) + 1; };
  const nGlobals = mod.getNumGlobals();
  for (let i = 0; i < nGlobals; i++) {
    const g = B.getGlobalInfo(mod.getGlobalByIndex(i)) as unknown as Info;
    if (!BASIC_TYPES.has(g.type)) return fail(WasmError.FORBIDDEN_FEATURE, `global ${g.name} has a type outside i32/i64/f32/f64`);
    if (g.init && B.getExpressionId(g.init) !== B.ConstId) return fail(WasmError.FORBIDDEN_FEATURE, `global ${g.name} has a non-constant initialiser`);
  }
  if (nFuncs > WasmLimit.MAX_FUNCTIONS) return fail(WasmError.FORBIDDEN_FEATURE, `${nFuncs} functions (at most ${WasmLimit.MAX_FUNCTIONS})`);
  for (const info of funcInfo.values()) {
    const params = B.expandType(info.params);
    const results = B.expandType(info.results);
    if (results.length > 1) return fail(WasmError.FORBIDDEN_FEATURE, `function ${info.name} returns ${results.length} values (multi-value is not allowed)`);
    for (const t of [...params, ...results, ...(info.vars as number[])]) {
      if (!BASIC_TYPES.has(t)) return fail(WasmError.FORBIDDEN_FEATURE, `function ${info.name} uses a type outside i32/i64/f32/f64`);
    }
    if (info.module || !info.body) continue;
    let bad: string | null = null;
    forEachExpression(info.body, (e, x) => {
      if (bad) return;
      if (!ALLOWED_IDS.has(x.id)) { bad = `instruction ${ID_NAMES[x.id] ?? x.id}`; return; }
      if (!BASIC_TYPES.has(x.type)) { bad = `a ${ID_NAMES[x.id] ?? x.id} of a type outside i32/i64/f32/f64`; return; }
      if ((x.id === B.LoadId || x.id === B.StoreId) && x.isAtomic) { bad = "atomic memory access"; return; }
      if ((x.id === B.CallId || x.id === B.CallIndirectId) && x.isReturn) { bad = "tail call"; return; }
      if (x.id === B.UnaryId || x.id === B.BinaryId) {
        const operandTypes = childrenOf(x).map((c) => B.getExpressionType(c));
        if (operandTypes.some((t) => !BASIC_TYPES.has(t))) { bad = "a vector (SIMD) operation"; return; }
        if (x.type === B.f32 || x.type === B.f64 || operandTypes.includes(B.f32) || operandTypes.includes(B.f64)) note("float");
      }
      if (x.id === B.MemoryGrowId) note("memory.grow");
      if (x.id === B.MemoryCopyId) note("memory.copy");
      if (x.id === B.MemoryFillId) note("memory.fill");
      if (x.id === B.CallIndirectId) note("call_indirect");
      void e;
    });
    if (bad) return fail(WasmError.FORBIDDEN_FEATURE, `function ${info.name} uses ${bad}`);
  }

  // 3. Memory shape (its size against the job's limit is checkMemoryLimit's business).
  let memory: ModuleFacts["memory"] = null;
  if (mod.hasMemory()) {
    const m = mod.getMemoryInfo();
    const own = readLimits(code).memories[0];
    memory = { initial: own?.initial ?? m.initial, maximum: own ? own.maximum : (m.max ?? null), shared: m.shared, is64: m.is64 };
    if (m.shared) return fail(WasmError.FORBIDDEN_FEATURE, "shared memory (threads) is not allowed");
    if (m.is64) return fail(WasmError.FORBIDDEN_FEATURE, "64-bit memory is not allowed");
  }

  // 4. Tables.
  const tables: ModuleFacts["tables"] = [];
  const declared = readLimits(code);
  for (let i = 0; i < mod.getNumTables(); i++) {
    const t = B.getTableInfo(mod.getTableByIndex(i)) as unknown as Info;
    const own = declared.tables[i];
    tables.push({ initial: own?.initial ?? t.initial, maximum: own ? own.maximum : (t.max ?? null) });
  }
  if (tables.length > 1) return fail(WasmError.FORBIDDEN_FEATURE, "more than one table (reference types) is not allowed");
  for (const t of tables) {
    if (t.initial > WasmLimit.MAX_TABLE_ELEMENTS || (t.maximum !== null && t.maximum > WasmLimit.MAX_TABLE_ELEMENTS)) {
      return fail(WasmError.TABLE_ABOVE_LIMIT, `table of ${t.maximum ?? t.initial} elements (at most ${WasmLimit.MAX_TABLE_ELEMENTS})`);
    }
  }

  // 5. Segments.
  const dataSegments: ModuleFacts["dataSegments"] = [];
  const nData = mod.getNumDataSegments();
  for (let i = 0; i < nData; i++) {
    const s = mod.getDataSegmentInfo(mod.getDataSegmentByIndex(i)) as unknown as { offset: number | null; data: ArrayBuffer; passive: boolean };
    dataSegments.push({ offset: s.passive ? null : s.offset, length: s.data.byteLength, passive: s.passive });
  }
  const memBytes = (memory?.initial ?? 0) * WASM_PAGE;
  for (const [i, s] of dataSegments.entries()) {
    if (s.passive) continue;
    if (s.offset === null || s.offset < 0 || s.offset + s.length > memBytes) {
      return fail(WasmError.SEGMENT_OUT_OF_BOUNDS, `data segment ${i} (${s.length} bytes at ${s.offset}) does not fit the initial memory of ${memBytes} bytes`);
    }
  }
  const elementSegments: ModuleFacts["elementSegments"] = [];
  for (let i = 0; i < mod.getNumElementSegments(); i++) {
    const s = B.getElementSegmentInfo(mod.getElementSegmentByIndex(i)) as unknown as Info;
    const off = typeof s.offset === "number" && s.offset ? constValue(s.offset) : null;
    elementSegments.push({ offset: off, length: (s.data as string[]).length });
    if (!s.table) continue; // passive
    const t = tables[0];
    if (off === null || !t || off < 0 || off + (s.data as string[]).length > t.initial) {
      return fail(WasmError.SEGMENT_OUT_OF_BOUNDS, `element segment ${i} does not fit the table`);
    }
  }

  const exports: ExportFact[] = [];
  for (let i = 0; i < mod.getNumExports(); i++) {
    const x = B.getExportInfo(mod.getExportByIndex(i)) as unknown as Info;
    const kind = (["function", "table", "memory", "global", "tag"] as const)[x.kind as number] ?? "function";
    const fact: ExportFact = { name: x.name, kind };
    if (kind === "function") {
      const f = funcInfo.get(x.value);
      if (f) { fact.params = typeNames(f.params); fact.results = typeNames(f.results); }
    }
    exports.push(fact);
  }
  for (const x of exports) if (x.name.startsWith("__mhr")) return fail(WasmError.FORBIDDEN_FEATURE, `export name ${x.name} is reserved`);

  return {
    ok: true,
    facts: {
      size: code.length,
      imports,
      exports,
      memory,
      tables,
      functions: { imported, defined: nFuncs - imported },
      globals: nGlobals,
      dataSegments,
      elementSegments,
      hasStart: mod.getStart() !== 0,
      uses,
    },
  };
}

/** The module's memory against the job's limit (max_memory, in bytes, rounded down to pages). */
export function checkMemoryLimit(facts: ModuleFacts, memoryLimit: number): ValidationFailure | null {
  const pageLimit = Math.floor(memoryLimit / WASM_PAGE);
  const memory = facts.memory;
  if (!memory) return null;
  if (memory.initial > pageLimit) return fail(WasmError.MEMORY_ABOVE_LIMIT, `memory starts at ${memory.initial} pages; the limit is ${pageLimit} pages (max_memory ${memoryLimit})`);
  if (memory.maximum !== null && memory.maximum > pageLimit) return fail(WasmError.MEMORY_ABOVE_LIMIT, `memory declares a maximum of ${memory.maximum} pages; the limit is ${pageLimit} pages (max_memory ${memoryLimit})`);
  return null;
}

interface Walked { expr: Ref; cost: number; branches: boolean; depth: number }

/** If both arms of an `if` cost at most this much, their cost is charged with the enclosing region. */
const HOIST_ARM_MAX = 8;

export interface InstrumentOptions {
  /**
   * Keep the exported fuel counter exact at every instruction (each charge
   * writes it), so that a trap raised by the WebAssembly engine itself (out
   * of bounds, division by zero, `unreachable`...) observes the right value.
   * Without it (the default, the module a job runs first) the counter is
   * written only where the host or a caller can read it without a trap:
   * calls, host calls, function exit and the instrumentation's own traps; a
   * run that ends in an engine trap is then run again on the precise module
   * (run.ts), which reaches the same trap with the exact counter.
   */
  precise?: boolean;
}

/**
 * Instruments a module that `analyzeModule` accepted. Throws on a module it
 * did not (the caller validates first).
 */
export function instrumentModule(code: Uint8Array, opts: InstrumentOptions = {}): Instrumented {
  init();
  const t0 = performance.now();
  const mod = readModule(code);
  try {
    return instrumentRead(mod, code.length, t0, opts.precise === true);
  } finally {
    mod.dispose();
  }
}

function instrumentRead(mod: Loose, inputBytes: number, t0: number, precise: boolean): Instrumented {
  mod.setFeatures(B.Features.MVP | B.Features.MutableGlobals | B.Features.SignExt | B.Features.NontrappingFPToInt | B.Features.BulkMemory | B.Features.BulkMemoryOpt);
  const taken = new Set<string>();
  for (let i = 0; i < mod.getNumFunctions(); i++) taken.add(B.getFunctionInfo(mod.getFunctionByIndex(i)).name);
  for (let i = 0; i < mod.getNumGlobals(); i++) taken.add(B.getGlobalInfo(mod.getGlobalByIndex(i)).name);
  const fresh = (base: string) => {
    let n = base;
    for (let i = 1; taken.has(n); i++) n = `${base}${i}`;
    taken.add(n);
    return n;
  };

  const i64c = (v: number): Ref => (mod.i64.const as unknown as (v: bigint) => Ref)(BigInt(v));
  const G = { fuel: fresh("__mhr$fuel"), trap: fresh("__mhr$trap"), depth: fresh("__mhr$depth"), maxPages: fresh("__mhr$max_pages") };
  mod.addGlobal(G.fuel, B.i64, true, i64c(0));
  mod.addGlobal(G.trap, B.i32, true, mod.i32.const(0));
  mod.addGlobal(G.depth, B.i32, true, mod.i32.const(0));
  mod.addGlobal(G.maxPages, B.i32, true, mod.i32.const(0));

  const hasMemory = mod.hasMemory();
  const stats: InstrumentStats = { functions: 0, meteredRegions: 0, staticFuel: 0, canonicalisedFloatOps: 0, bulkMemoryOps: 0, growOps: 0, maxFrameUnits: 0, inputBytes, outputBytes: 0, ms: 0 };

  const trapWith = (code: number): Ref => mod.block(null, [mod.global.set(G.trap, mod.i32.const(code)), mod.unreachable()], B.unreachable);
  /**
   * Each instrumented function keeps the fuel counter in a local
   * (`fuelLocal`), loaded on entry and after every call that may spend fuel
   * (user functions, host functions, the grow/copy/fill helpers), so that the
   * counter's loop-carried dependency lives in a register instead of going
   * through memory on every region entry. The exported global is the counter
   * the host observes: the precise module writes it on every charge; the
   * default one only where it can be observed without an engine trap
   * (`syncFuel`: before calls, at function exit, on the instrumentation's
   * own traps).
   */
  let fuelLocal = -1;
  const reloadFuel = (): Ref => mod.local.set(fuelLocal, mod.global.get(G.fuel, B.i64));
  const syncFuel = (): Ref => mod.global.set(G.fuel, mod.local.get(fuelLocal, B.i64));
  /**
   * The metering sequence: f -= c; if that went negative, trap OUT_OF_CYCLES
   * with the global holding the counter from before the charge (so a trap
   * leaves it unchanged), else (precise module) write f to the global. Fuel
   * is at most 10^10, so the signed subtraction cannot wrap.
   */
  const charge = (c: number): Ref => {
    stats.meteredRegions++;
    const parts: Ref[] = [
      mod.local.set(fuelLocal, mod.i64.sub(mod.local.get(fuelLocal, B.i64), i64c(c))),
      mod.if(mod.i64.lt_s(mod.local.get(fuelLocal, B.i64), i64c(0)), precise
        ? trapWith(WasmTrap.OUT_OF_CYCLES)
        : mod.block(null, [mod.global.set(G.fuel, mod.i64.add(mod.local.get(fuelLocal, B.i64), i64c(c))), trapWith(WasmTrap.OUT_OF_CYCLES)], B.unreachable)),
    ];
    if (precise) parts.push(syncFuel());
    return mod.block(null, parts, B.none);
  };
  let currentFunction: Ref = 0;
  let tempLocals = new Map<number, number>();
  /**
   * A call that may spend fuel: the global written before it (default
   * module) and the local reloaded after it, the call's value kept in a
   * temporary. The write goes before the operands unless they contain
   * charges (`chargedOperands`); then the operands are evaluated into
   * temporaries first.
   */
  const meteredCall = (call: Ref, type: number, operands: Ref[], setOperand: (i: number, r: Ref) => void, chargedOperands: boolean): Ref => {
    if (type === B.unreachable) return call;
    const pre: Ref[] = [];
    if (!precise) {
      if (chargedOperands) {
        operands.forEach((o, i) => {
          const t = B.getExpressionType(o);
          const tmp = B._BinaryenFunctionAddVar(currentFunction, t) as number;
          pre.push(mod.local.set(tmp, o));
          setOperand(i, mod.local.get(tmp, t));
        });
      }
      pre.push(syncFuel());
    }
    if (type === B.none) return mod.block(null, [...pre, call, reloadFuel()], B.none);
    let tmp = tempLocals.get(type);
    if (tmp === undefined) {
      tmp = B._BinaryenFunctionAddVar(currentFunction, type) as number;
      tempLocals.set(type, tmp);
    }
    return mod.block(null, [...pre, mod.local.set(tmp, call), reloadFuel(), mod.local.get(tmp, type)], type);
  };
  /** The call to a `leave` helper (function exit); the default module's helpers also take the fuel local and write it. */
  const leaveCall = (type: number, value: Ref | null): Ref => {
    const ops = value ? [value, mod.i32.const(frameUnits)] : [mod.i32.const(frameUnits)];
    if (!precise) ops.push(mod.local.get(fuelLocal, B.i64));
    return mod.call(H.leave.get(type)!, ops, type);
  };
  /** Same with a run-time amount held in local `idx` (i64) of a helper. */
  const chargeLocal = (idx: number): Ref => mod.block(null, [
    mod.if(mod.i64.lt_u(mod.global.get(G.fuel, B.i64), mod.local.get(idx, B.i64)), trapWith(WasmTrap.OUT_OF_CYCLES)),
    mod.global.set(G.fuel, mod.i64.sub(mod.global.get(G.fuel, B.i64), mod.local.get(idx, B.i64))),
  ], B.none);

  // Helpers.
  const H = {
    canonF32: fresh("__mhr$canon_f32"), canonF64: fresh("__mhr$canon_f64"),
    grow: fresh("__mhr$grow"), copy: fresh("__mhr$copy"), fill: fresh("__mhr$fill"),
    leave: new Map<number, string>([[B.none, fresh("__mhr$leave")], [B.i32, fresh("__mhr$leave_i32")], [B.i64, fresh("__mhr$leave_i64")], [B.f32, fresh("__mhr$leave_f32")], [B.f64, fresh("__mhr$leave_f64")]]),
    nopStart: fresh("__mhr$nop_start"),
  };
  const userFunctions: string[] = [];
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const info = B.getFunctionInfo(mod.getFunctionByIndex(i));
    if (!info.module) userFunctions.push(info.name);
  }
  const importedNames = new Set<string>();
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const info = B.getFunctionInfo(mod.getFunctionByIndex(i));
    if (info.module) importedNames.add(info.name);
  }

  mod.addFunction(H.canonF32, B.f32, B.f32, [], mod.select(
    mod.f32.ne(mod.local.get(0, B.f32), mod.local.get(0, B.f32)), mod.f32.const_bits(0x7fc00000), mod.local.get(0, B.f32), B.f32));
  mod.addFunction(H.canonF64, B.f64, B.f64, [], mod.select(
    mod.f64.ne(mod.local.get(0, B.f64), mod.local.get(0, B.f64)), (mod.f64.const_bits as unknown as (v: bigint) => Ref)(0x7ff8000000000000n), mod.local.get(0, B.f64), B.f64));
  for (const [t, name] of H.leave) {
    const ps = t === B.none ? [B.i32] : [t, B.i32];
    const wIdx = t === B.none ? 0 : 1;
    const dec = mod.global.set(G.depth, mod.i32.sub(mod.global.get(G.depth, B.i32), mod.local.get(wIdx, B.i32)));
    const body: Ref[] = [dec];
    if (!precise) {
      ps.push(B.i64);
      body.push(mod.global.set(G.fuel, mod.local.get(wIdx + 1, B.i64)));
    }
    if (t !== B.none) body.push(mod.local.get(0, t));
    mod.addFunction(name, B.createType(ps), t, [], body.length === 1 ? dec : mod.block(null, body, t === B.none ? B.none : t));
  }
  if (hasMemory) {
    // grow(n): -1 if n pages would pass the page limit (base cost only); else charge n*growPerPage, grow.
    mod.addFunction(H.grow, B.i32, B.i32, [B.i64], mod.block(null, [
      mod.if(mod.i32.gt_u(mod.local.get(0, B.i32), mod.i32.sub(mod.global.get(G.maxPages, B.i32), mod.memory.size())), mod.return(mod.i32.const(-1))),
      mod.local.set(1, mod.i64.mul(mod.i64.extend_u(mod.local.get(0, B.i32)), i64c(WASM_COSTS.growPerPage))),
      chargeLocal(1),
      mod.memory.grow(mod.local.get(0, B.i32)),
    ], B.i32));
    const perUnit = (sizeIdx: number): Ref => mod.i64.mul(
      mod.i64.shr_u(mod.i64.add(mod.i64.extend_u(mod.local.get(sizeIdx, B.i32)), i64c(WASM_COSTS.bulk.unit! - 1)), i64c(Math.log2(WASM_COSTS.bulk.unit!))),
      i64c(WASM_COSTS.bulk.per!));
    mod.addFunction(H.copy, B.createType([B.i32, B.i32, B.i32]), B.none, [B.i64], mod.block(null, [
      mod.local.set(3, perUnit(2)), chargeLocal(3),
      mod.memory.copy(mod.local.get(0, B.i32), mod.local.get(1, B.i32), mod.local.get(2, B.i32)),
    ], B.none));
    mod.addFunction(H.fill, B.createType([B.i32, B.i32, B.i32]), B.none, [B.i64], mod.block(null, [
      mod.local.set(3, perUnit(2)), chargeLocal(3),
      mod.memory.fill(mod.local.get(0, B.i32), mod.local.get(1, B.i32), mod.local.get(2, B.i32)),
    ], B.none));
  }

  const staticCost = (x: Info): number => {
    switch (x.id) {
      case B.NopId: case B.BlockId: case B.LoopId: return 0;
      case B.IfId: return WASM_COSTS.brIf;
      case B.BreakId: return x.condition ? WASM_COSTS.brIf : WASM_COSTS.br;
      case B.SwitchId: return WASM_COSTS.brIf;
      case B.CallId: return importedNames.has(x.target) ? 0 : WASM_COSTS.call;
      case B.CallIndirectId: return WASM_COSTS.call;
      case B.ReturnId: return WASM_COSTS.ret;
      case B.LoadId: return WASM_COSTS.load;
      case B.StoreId: return WASM_COSTS.store;
      case B.UnaryId: return SQRT_OPS.has(x.op) ? WASM_COSTS.div : WASM_COSTS.simple;
      case B.BinaryId: return MUL_OPS.has(x.op) ? WASM_COSTS.mul : DIV_OPS.has(x.op) ? WASM_COSTS.div : WASM_COSTS.simple;
      case B.UnreachableId: return WASM_COSTS.unreachable;
      case B.MemorySizeId: return WASM_COSTS.memorySize;
      case B.MemoryGrowId: return WASM_COSTS.growBase;
      case B.MemoryCopyId: case B.MemoryFillId: return WASM_COSTS.bulk.base;
      default: return WASM_COSTS.simple;
    }
  };

  /** Wraps a region body so that it charges `cost` before running. */
  const region = (w: Walked): Ref => (w.cost > 0 ? mod.block(null, [charge(w.cost), w.expr], B.auto) : w.expr);

  let resultType: number = B.none;
  let frameUnits = 1;

  /**
   * Deferred checks (default module only). A block's last region that does
   * no more than local and global arithmetic and ends in `br` to an
   * enclosing loop (the `i++` after an inner loop) reaches the loop's own
   * charge with nothing in between that could observe the counter: it only
   * subtracts its cost, and the loop's charge checks both. When that check
   * fails, the counter before it tells which charge ran short (a value
   * below zero means the deferred one did, as every other way into the
   * loop carries a checked, non-negative counter), and the trap leaves the
   * counter as the exact check would have. One deferred cost per loop, so
   * that the failing charge's cost is known.
   */
  const loops: { name: string; deferred: { block: Ref; cost: number }[] }[] = [];
  const isPureTail = (kids: Ref[], from: number): string | null => {
    const last = infoOf(kids[kids.length - 1]);
    if (last.id !== B.BreakId || last.condition || last.value || !loops.some((l) => l.name === last.name)) return null;
    for (let i = from; i < kids.length - 1; i++) {
      let pure = true;
      forEachExpression(kids[i], (_e, y) => {
        if (!pure) return;
        switch (y.id) {
          case B.LocalGetId: case B.LocalSetId: case B.GlobalGetId: case B.GlobalSetId: case B.ConstId: case B.DropId: case B.SelectId: case B.NopId: return;
          case B.UnaryId: if (TRAP_UNARY.has(y.op)) pure = false; return;
          case B.BinaryId: if (DIV_OPS.has(y.op)) pure = false; return;
          default: pure = false;
        }
      });
      if (!pure) return null;
    }
    return last.name as string;
  };
  /** The loop's charge when deferred charges of cost `c` may reach it with their check pending. */
  const loopCharge = (d: number, c: number): Ref => {
    stats.meteredRegions++;
    const f = () => mod.local.get(fuelLocal, B.i64);
    return mod.block(null, [
      mod.local.set(fuelLocal, mod.i64.sub(f(), i64c(d))),
      mod.if(mod.i64.lt_s(f(), i64c(0)), mod.block(null, [
        mod.global.set(G.fuel, mod.select(mod.i64.lt_s(mod.i64.add(f(), i64c(d)), i64c(0)), mod.i64.add(f(), i64c(d + c)), mod.i64.add(f(), i64c(d)), B.i64)),
        trapWith(WasmTrap.OUT_OF_CYCLES),
      ], B.unreachable)),
    ], B.none);
  };

  const walk = (e: Ref): Walked => {
    const x = infoOf(e);
    const own = staticCost(x);
    switch (x.id) {
      case B.BlockId: {
        const kids = x.children as Ref[];
        let first = 0;
        let branches = false;
        let depth = 0;
        let seg = -1; // index where the current split segment starts
        let segCost = 0;
        const splits: { at: number; cost: number }[] = [];
        for (let i = 0; i < kids.length; i++) {
          const w = walk(kids[i]);
          if (w.expr !== kids[i]) B.Block.setChildAt(e, i, w.expr);
          depth = Math.max(depth, w.depth);
          if (seg < 0) first += w.cost; else segCost += w.cost;
          if (w.branches) {
            branches = true;
            if (i < kids.length - 1) {
              if (seg >= 0) splits.push({ at: seg, cost: segCost });
              seg = i + 1;
              segCost = 0;
            }
          }
        }
        if (seg >= 0) splits.push({ at: seg, cost: segCost });
        for (let k = splits.length - 1; k >= 0; k--) {
          if (splits[k].cost <= 0) continue;
          const block = charge(splits[k].cost);
          const target = !precise && k === splits.length - 1 ? isPureTail(kids, splits[k].at) : null;
          if (target) loops.find((l) => l.name === target)!.deferred.push({ block, cost: splits[k].cost });
          B.Block.insertChildAt(e, splits[k].at, block);
        }
        return { expr: e, cost: first, branches, depth: depth + 1 };
      }
      case B.LoopId: {
        const frame = { name: x.name as string, deferred: [] as { block: Ref; cost: number }[] };
        if (frame.name) loops.push(frame);
        const w = walk(x.body);
        if (frame.name) loops.pop();
        const c = frame.deferred[0]?.cost;
        if (w.cost > 0 && c !== undefined) {
          // The deferred charges keep their subtraction and drop their check (child 1 of charge's block).
          for (const d of frame.deferred) if (d.cost === c) B.Block.setChildAt(d.block, 1, mod.nop());
          B.Loop.setBody(e, mod.block(null, [loopCharge(w.cost, c), w.expr], B.auto));
        } else B.Loop.setBody(e, region(w));
        return { expr: e, cost: 0, branches: w.branches, depth: w.depth + 1 };
      }
      case B.IfId: {
        const c = walk(x.condition);
        if (c.expr !== x.condition) B.If.setCondition(e, c.expr);
        const t = walk(x.ifTrue);
        const f = x.ifFalse ? walk(x.ifFalse) : null;
        let cost = own + c.cost;
        // Arms are charged with the enclosing region (the larger arm's cost) when they are cheap, or when
        // the `if` has no else arm (loop bodies `loop { if (c) { ...; br loop } }`, guards, early exits):
        // the region then needs one charge instead of two, at the price of charging the arm's cost on the
        // path that skips it. Sound either way: every executed instruction has been paid for.
        if (!f || Math.max(t.cost, f.cost) <= HOIST_ARM_MAX) {
          cost += Math.max(t.cost, f?.cost ?? 0);
          if (t.expr !== x.ifTrue) B.If.setIfTrue(e, t.expr);
          if (f && f.expr !== x.ifFalse) B.If.setIfFalse(e, f.expr);
        } else {
          B.If.setIfTrue(e, region(t));
          if (f) B.If.setIfFalse(e, region(f));
        }
        return { expr: e, cost, branches: c.branches || t.branches || (f?.branches ?? false), depth: Math.max(c.depth, t.depth, f?.depth ?? 0) + 1 };
      }
      case B.ReturnId: {
        let cost = own;
        let depth = 0;
        if (x.value) {
          const w = walk(x.value);
          cost += w.cost;
          depth = w.depth;
          B.Return.setValue(e, leaveCall(resultType, w.expr));
          return { expr: e, cost, branches: true, depth: depth + 2 };
        }
        const expr = mod.block(null, [leaveCall(B.none, null), e], B.unreachable);
        return { expr, cost, branches: true, depth: 1 };
      }
      case B.MemoryGrowId: {
        stats.growOps++;
        const before = stats.meteredRegions;
        const w = walk(x.delta);
        const call = mod.call(H.grow, [w.expr], B.i32);
        return { expr: meteredCall(call, B.i32, [w.expr], (i, r) => B.Call.setOperandAt(call, i, r), stats.meteredRegions > before), cost: own + w.cost, branches: w.branches, depth: w.depth + 1 };
      }
      case B.MemoryCopyId: case B.MemoryFillId: {
        stats.bulkMemoryOps++;
        const before = stats.meteredRegions;
        const ws = childrenOf(x).map(walk);
        const name = x.id === B.MemoryCopyId ? H.copy : H.fill;
        const call = mod.call(name, ws.map((w) => w.expr), B.none);
        return { expr: meteredCall(call, B.none, ws.map((w) => w.expr), (i, r) => B.Call.setOperandAt(call, i, r), stats.meteredRegions > before), cost: own + ws.reduce((s, w) => s + w.cost, 0), branches: ws.some((w) => w.branches), depth: Math.max(...ws.map((w) => w.depth)) + 1 };
      }
      default: {
        const before = stats.meteredRegions;
        let cost = own;
        let branches = x.id === B.BreakId || x.id === B.SwitchId;
        let depth = 0;
        const setters = childSetters(x, e);
        for (const [child, set] of setters) {
          if (!child) continue;
          const w = walk(child);
          if (w.expr !== child) set(w.expr);
          cost += w.cost;
          branches ||= w.branches;
          depth = Math.max(depth, w.depth);
        }
        let expr = e;
        if ((x.id === B.UnaryId && NAN_UNARY.has(x.op)) || (x.id === B.BinaryId && NAN_BINARY.has(x.op))) {
          stats.canonicalisedFloatOps++;
          expr = mod.call(x.type === B.f32 ? H.canonF32 : H.canonF64, [e], x.type);
          depth++;
        } else if (x.id === B.CallId || x.id === B.CallIndirectId) {
          // Re-read: the walk may have replaced the operands.
          const ops = childSetters(infoOf(e), e);
          expr = meteredCall(e, x.type, ops.map(([o]) => o), (i, r) => ops[i][1](r), stats.meteredRegions > before);
        }
        return { expr, cost, branches, depth: depth + 1 };
      }
    }
  };

  for (const name of userFunctions) {
    const fref = mod.getFunction(name);
    const info = B.getFunctionInfo(fref) as unknown as Info;
    resultType = B.expandType(info.results)[0] ?? B.none;
    const nLocals = B.expandType(info.params).length + (info.vars as number[]).length;
    // Frame units are fixed before the walk (returns need them); the expression depth is bounded by a pre-pass.
    let maxDepth = 0;
    const depthOf = (r: Ref, d: number) => {
      const stack: [Ref, number][] = [[r, d]];
      while (stack.length) {
        const [q, dd] = stack.pop()!;
        if (!q) continue;
        if (dd > maxDepth) maxDepth = dd;
        for (const c of childrenOf(infoOf(q))) stack.push([c, dd + 1]);
      }
    };
    depthOf(info.body, 1);
    frameUnits = frameUnitsFor(nLocals, maxDepth);
    stats.maxFrameUnits = Math.max(stats.maxFrameUnits, frameUnits);
    // Added after frameUnits is fixed: the instrumentation's own locals do not count towards the stack depth.
    currentFunction = fref;
    tempLocals = new Map();
    fuelLocal = B._BinaryenFunctionAddVar(fref, B.i64) as number;
    const w = walk(info.body);
    const enter = mod.block(null, [
      mod.global.set(G.depth, mod.i32.add(mod.global.get(G.depth, B.i32), mod.i32.const(frameUnits))),
      mod.if(mod.i32.gt_u(mod.global.get(G.depth, B.i32), mod.i32.const(WasmLimit.MAX_STACK_UNITS)), precise ? trapWith(WasmTrap.CALL_DEPTH_EXCEEDED) : mod.block(null, [syncFuel(), trapWith(WasmTrap.CALL_DEPTH_EXCEEDED)], B.unreachable)),
    ], B.none);
    const parts: Ref[] = [reloadFuel()];
    if (w.cost > 0) parts.push(charge(w.cost));
    parts.push(enter);
    if (resultType === B.none) {
      parts.push(w.expr, leaveCall(B.none, null));
    } else {
      parts.push(leaveCall(resultType, w.expr));
    }
    B.Function.setBody(fref, mod.block(null, parts, resultType === B.none ? B.none : B.auto));
    stats.functions++;
    stats.staticFuel += w.cost;
  }

  // The start function is run by the host after the limits are set.
  let start: string | null = null;
  const startRef = mod.getStart();
  if (startRef) {
    const startName = B.getFunctionInfo(startRef).name;
    mod.addFunctionExport(startName, RESERVED.start);
    mod.addFunction(H.nopStart, B.none, B.none, [], mod.nop());
    mod.setStart(mod.getFunction(H.nopStart));
    start = RESERVED.start;
  }
  mod.addGlobalExport(G.fuel, RESERVED.fuel);
  mod.addGlobalExport(G.trap, RESERVED.trap);
  mod.addGlobalExport(G.depth, RESERVED.depth);
  mod.addGlobalExport(G.maxPages, RESERVED.maxPages);
  if (hasMemory) mod.addMemoryExport("0", RESERVED.memory);

  optimizeInstrumented(mod);
  const binary = mod.emitBinary();
  stats.outputBytes = binary.length;
  stats.ms = performance.now() - t0;
  return { binary, stats, start, hasMemory };
}

/**
 * Stack units of one frame: 1 + ceil((locals + expression depth) / 8). A unit
 * stands for at most ~8 spilled values (64 bytes) plus frame overhead, so
 * MAX_STACK_UNITS units stay far below the sandbox thread's stack.
 */
export function frameUnitsFor(locals: number, exprDepth: number): number {
  return 1 + Math.ceil((locals + exprDepth) / 8);
}

type Setter = [Ref, (r: Ref) => void];

function childSetters(x: Info, e: Ref): Setter[] {
  switch (x.id) {
    case B.BreakId: return [[x.value, (r) => B.Break.setValue(e, r)], [x.condition, (r) => B.Break.setCondition(e, r)]];
    case B.SwitchId: return [[x.value, (r) => B.Switch.setValue(e, r)], [x.condition, (r) => B.Switch.setCondition(e, r)]];
    case B.CallId: return (x.operands as Ref[]).map((o, i) => [o, (r: Ref) => B.Call.setOperandAt(e, i, r)] as Setter);
    case B.CallIndirectId: return [...(x.operands as Ref[]).map((o, i) => [o, (r: Ref) => B.CallIndirect.setOperandAt(e, i, r)] as Setter), [x.target, (r) => B.CallIndirect.setTarget(e, r)]];
    case B.LocalSetId: return [[x.value, (r) => B.LocalSet.setValue(e, r)]];
    case B.GlobalSetId: return [[x.value, (r) => B.GlobalSet.setValue(e, r)]];
    case B.DropId: return [[x.value, (r) => B.Drop.setValue(e, r)]];
    case B.LoadId: return [[x.ptr, (r) => B.Load.setPtr(e, r)]];
    case B.StoreId: return [[x.ptr, (r) => B.Store.setPtr(e, r)], [x.value, (r) => B.Store.setValue(e, r)]];
    case B.UnaryId: return [[x.value, (r) => B.Unary.setValue(e, r)]];
    case B.BinaryId: return [[x.left, (r) => B.Binary.setLeft(e, r)], [x.right, (r) => B.Binary.setRight(e, r)]];
    case B.SelectId: return [[x.ifTrue, (r) => B.Select.setIfTrue(e, r)], [x.ifFalse, (r) => B.Select.setIfFalse(e, r)], [x.condition, (r) => B.Select.setCondition(e, r)]];
    default: return [];
  }
}

/**
 * Structural clean-up of the instrumented module with binaryen passes that
 * neither fold nor remove traps (no precompute, directize or
 * optimize-instructions, which can turn a trapping instruction into
 * `unreachable` and so change the trap code): block merging, branch and
 * local simplification. The fuel, depth and trap globals are exported and
 * every charge may trap, so all observable fuel values stay those of the
 * plain instrumentation (the vectors pin this). MHR_WASM_NO_OPT=1 turns it off.
 */
const CLEANUP_PASSES = ["merge-blocks", "remove-unused-brs", "remove-unused-names", "simplify-locals-nostructure", "vacuum", "reorder-locals", "coalesce-locals", "merge-blocks", "vacuum"];

function optimizeInstrumented(mod: Loose): void {
  if (process.env.MHR_WASM_NO_OPT) return;
  mod.runPasses(CLEANUP_PASSES);
}
