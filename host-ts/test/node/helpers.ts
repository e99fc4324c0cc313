/** Shared set-up of node tests: nodes over one MemoryNetwork, jobs built as `mhr run` builds them. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MemoryNetwork } from "../../src/node/memory-transport.ts";
import { MeshNode, type NodeOptions } from "../../src/node/mesh-node.ts";
import { encodeJob } from "../../src/model/codec.ts";
import { buildJob, loadContract } from "../../src/jobs/contract-file.ts";
import { encodeWasmJob, makeWasmContract } from "../../src/wasm-tier/job.ts";
import { emptyContext } from "../../src/model/job.ts";
import { bytesToHex } from "../../src/model/bytes.ts";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const SUM = join(ROOT, "examples/node/sum.masm");
export const SMALL = join(ROOT, "examples/node/small.masm");

export function sumJob(n: number, file = SUM, sender?: Uint8Array, self?: Uint8Array): Uint8Array {
  return encodeJob(buildJob(loadContract(file), { fn: "sum", args: [String(n)], sender: sender ? bytesToHex(sender) : undefined, self: self ? bytesToHex(self) : undefined }));
}

/** A WASM Light job of the G-Counter example (examples/wasm/bin/gcounter.wasm). */
export function gcounterWasmJob(amount: bigint, sender: Uint8Array): Uint8Array {
  const code = new Uint8Array(readFileSync(join(ROOT, "examples/wasm/bin/gcounter.wasm")));
  const contract = makeWasmContract({ code, wasmTier: 1, functions: [{ name: "increment", args: 1, rets: 0 }, { name: "value", args: 0, rets: 1 }], maxCycles: 1_000_000, maxMemory: 1 << 20 });
  const context = emptyContext();
  context.sender = sender;
  return encodeWasmJob({ version: 1, contract, function: "increment", args: [amount], input: new Uint8Array(0), context, state: new Map() });
}

export interface TestNet {
  net: MemoryNetwork;
  nodes: MeshNode[];
  dirs: string[];
  stop(): Promise<void>;
}

export type NodeSpec = Partial<NodeOptions> & { name: string; profile: NodeOptions["profile"] };

export function tempDir(prefix = "mhr-node-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Starts the nodes on one network, each dialling the first (a star), and waits until every node holds every other's advert. */
export async function startNet(specs: NodeSpec[], netOpts: ConstructorParameters<typeof MemoryNetwork>[0] = {}): Promise<TestNet> {
  const net = new MemoryNetwork(netOpts);
  const nodes: MeshNode[] = [];
  const dirs: string[] = [];
  for (const [i, s] of specs.entries()) {
    const dir = s.dataDir ?? tempDir();
    dirs.push(dir);
    const { name, ...rest } = s;
    nodes.push(await MeshNode.start({
      engine: "reference", control: false, advertIntervalMs: 60_000,
      ...rest,
      dataDir: dir,
      transport: (id) => net.transport(name, { publicKey: id.publicKey }),
      bootstrap: i === 0 ? [] : [`/memory/${specs[0].name}`],
    }));
  }
  await converge(nodes);
  return {
    net, nodes, dirs,
    async stop() {
      for (const n of nodes) await n.stop().catch(() => {});
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

export async function converge(nodes: MeshNode[], timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  // A node that connected before the others started holds only some adverts: republish until all are held.
  while (nodes.some((n) => n.adverts.size < nodes.length - 1)) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`adverts did not converge: ${nodes.map((n) => n.adverts.size).join(",")}`);
    for (const n of nodes) await n.publishAdvert();
    await new Promise((r) => setTimeout(r, 20));
  }
}
