import { buildMicrobenches } from "./host-ts/src/calibrate/microbench.ts";
import { createBoardEngine } from "./host-ts/src/engines/board-engines.ts";
import { resolveTarget } from "./host-ts/src/engines/targets.ts";
const id = process.argv[2] ?? "STORE.state@10#insert-many2";
const set = await buildMicrobenches({ only: [id.split("@")[0]] });
const b = set.benches.find((x) => x.id === id)!;
console.log(id, "k", b.k);
for (const [name, job] of [["base", b.base], ["work", b.run]] as const) {
  process.env.QLOG = `/tmp/qlog-${name}.txt`;
  const eng = await createBoardEngine(resolveTarget("qemu-lx106", "mhr-byte").board!);
  const r = await eng.client.bench(job.bytes, 1, { timeoutMs: 600_000 });
  console.log(name, r.minCycles);
  await eng.close();
}
