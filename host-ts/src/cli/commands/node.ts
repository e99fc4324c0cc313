/** mhr node start | status | submit | call | close-channel | stop — the mesh compute node (docs/NODE.md). */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { examples } from "../options.ts";
import { UserError } from "../../model/errors.ts";
import { decodeResult, decodeState, encodeJob } from "../../model/codec.ts";
import { hexToBytes } from "../../model/bytes.ts";
import { buildJob, loadContract, parseBytesArg, type JobFlags } from "../../jobs/contract-file.ts";
import { expectedFromRun } from "../../vectors/format.ts";
import { encodeWasmJob } from "../../wasm-tier/job.ts";
import { FUNCTION_STATUS_NAMES } from "../../generated/node-protocol.ts";
import { decodeFunctionResult } from "../../node/messages/execution-messages.ts";
import { controlCall, ControlError } from "../../node/control-client.ts";
import type { NodeStatus } from "../../node/mesh-node.ts";
import { describeRun } from "./asm.ts";
import { describeWasmRun, loadWasmContract } from "./wasm.ts";
import { privacyFlags, submitPrivate, type PrivateFlags } from "./node-private.ts";
import { PRIVACY_MODES } from "../../node/private/modes.ts";
import { SHARED_WORKLOADS } from "../../node/private/shared-jobs.ts";
import type { EngineRun } from "../../model/engine.ts";

const collect = (v: string, prev: string[] = []) => [...prev, v];

function dataDir(d: string | undefined): string {
  return resolve(d ?? process.env.MHR_NODE_DATA ?? join(homedir(), ".mhr-node"));
}

function int(v: string | undefined, what: string): bigint | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UserError(`${what}: "${v}" is not a non-negative integer`, 2);
  return BigInt(v);
}

async function call(dir: string, method: string, params: Record<string, unknown> = {}, progress = false): Promise<unknown> {
  const show = progress && (process.stderr.isTTY || process.env.MHR_PROGRESS === "1");
  try {
    return await controlCall(dir, method, params, show ? (e) => process.stderr.write(`mhr: ${e.stage}${e.detail ? ` ${e.detail}` : ""}\n`) : undefined);
  } catch (e) {
    if (e instanceof ControlError) throw new UserError(/^[A-Z_]+$/.test(e.code) && !["ENOENT", "EACCES", "ECONNREFUSED", "CLOSED", "CONNECT"].includes(e.code) ? `${e.code}: ${e.message}` : e.message);
    throw e;
  }
}

interface SubmitResult {
  jobId: string; kind: string; result: string; state?: string; resultHash: string; status: number; cycles: string;
  ranOn: string; providers: string[]; proof: string; cost: string; outcome: string; attempts: { provider: string; outcome: string; code?: string }[];
}

function where(r: SubmitResult): string[] {
  const lines = [`ran_on      ${r.ranOn}${r.ranOn === "delegated" ? ` ${r.providers.join(", ")}` : ""}`, `proof       ${r.proof}`, `cost        ${r.cost} µMHR`];
  const others = r.attempts.filter((a) => a.outcome !== "ok");
  if (others.length) lines.push(`attempts    ${others.map((a) => `${a.provider.slice(0, 8)} ${a.outcome}${a.code ? ` ${a.code}` : ""}`).join("; ")}`);
  if (r.outcome !== "result") lines.push(`outcome     ${r.outcome.toUpperCase()}: not a consensus result`);
  return lines;
}

function printContractResult(r: SubmitResult, wasm: boolean, json: boolean): void {
  const resultBytes = hexToBytes(r.result);
  const run: EngineRun = { resultBytes, result: decodeResult(resultBytes), resultHash: hexToBytes(r.resultHash) };
  if (r.state) run.state = decodeState(hexToBytes(r.state));
  if (json) {
    console.log(JSON.stringify({ ...expectedFromRun(run), jobId: r.jobId, ranOn: r.ranOn, providers: r.providers, proof: r.proof, cost: r.cost, outcome: r.outcome }));
  } else {
    const block = wasm ? describeWasmRun({ ...run, outcome: "result", memoryBytes: 0, wallMs: 0 }) : describeRun(run);
    console.log([block, ...where(r)].join("\n"));
  }
  if (run.result.status !== 0) process.exitCode = 3;
}

function printFunctionResult(r: SubmitResult, json: boolean): void {
  const f = decodeFunctionResult(hexToBytes(r.result));
  const out = Buffer.from(f.output).toString("hex");
  if (json) {
    console.log(JSON.stringify({ status: FUNCTION_STATUS_NAMES[f.status], code: f.code, output: out, result: r.result, resultHash: r.resultHash, jobId: r.jobId, ranOn: r.ranOn, providers: r.providers, proof: r.proof, cost: r.cost }));
  } else {
    console.log([`status      ${FUNCTION_STATUS_NAMES[f.status]}${f.status ? ` (code ${f.code})` : ""}`, `output      ${out}`, `result_hash ${r.resultHash}`, ...where(r)].join("\n"));
  }
  if (f.status !== 0) process.exitCode = 3;
}

function printStatus(s: NodeStatus): void {
  const L = [
    `node        ${s.nodeId}  (profile ${s.profile}, engine ${s.engine}, wasm ${s.wasm}, load ${s.load})`,
    `addresses   ${s.addresses.join(" ") || "-"}`,
    `peers       ${s.peers.length}${s.peers.length ? `: ${s.peers.join(" ")}` : ""}`,
    `credit      ${s.credit} µMHR`,
    `adverts     ${s.adverts.length} held`,
  ];
  for (const a of s.adverts) L.push(`  ${a.nodeId}  seq ${a.seq}  price ${a.price}  ${a.mhrByte ? "mhr-byte" : ""}${a.wasm !== "none" ? ` wasm:${a.wasm}` : ""}  fns ${a.functions.length}${a.privacy.length ? `  privacy ${a.privacy.join(",")}` : ""}  load ${a.load}%  score ${a.score}  expires in ${Math.round(a.expiresInMs / 1000)} s`);
  L.push(`channels    ${s.channels.length}`);
  for (const c of s.channels) L.push(`  ${c.channelId}  ${c.role} with ${c.peer.slice(0, 16)}  ${c.status}  seq ${c.sequence}  a ${c.balanceA}  b ${c.balanceB}  burned ${c.burned}  payments ${c.payments}${c.pending ? "  (update pending)" : ""}`);
  L.push(`reputation  ${s.reputation.length}`);
  for (const r of s.reputation) L.push(`  ${r.nodeId}  score ${r.score}  ok ${r.successes}  failed ${r.failures}`);
  L.push(`journal     last ${s.journal.length}`);
  for (const j of s.journal) L.push(`  ${j.jobId.slice(0, 16)}  ${j.role.padEnd(9)}  ${j.kind.padEnd(8)}  ${j.ranOn}${j.providers.length && j.ranOn === "delegated" ? ` ${j.providers.map((p) => p.slice(0, 8)).join(",")}` : ""}  ${j.proof}${j.cost ? `  cost ${j.cost}` : ""}${j.detail ? `  ${j.detail}` : ""}`);
  const rejected = Object.entries(s.counters).filter(([k]) => k.includes("rejected") || k.startsWith("violations."));
  if (rejected.length) L.push(`refused     ${rejected.map(([k, v]) => `${k} ${v}`).join(", ")}`);
  console.log(L.join("\n"));
}

export function registerNodeCommands(program: Command): void {
  const node = program.command("node").description("the mesh compute node: adverts, agreements, delegation, verification, payment channels (docs/NODE.md)");

  node
    .command("start")
    .description("run a node in the foreground until Ctrl-C (its control socket is DATA/control.sock)")
    .option("--data <dir>", "data directory (key, database, control socket; default $MHR_NODE_DATA or ~/.mhr-node)")
    .option("--profile <name>", "minimal, community, gateway or backbone (profiles/)", "community")
    .option("--engine <name>", "MHR-Byte engine: as, native, reference, board:qemu-rv32, board:qemu-lx106, board:host, board:PORT (default: the profile's)")
    .option("--listen <multiaddr>", "address to listen on (repeatable; default /ip4/127.0.0.1/tcp/0)", collect)
    .option("--bootstrap <multiaddr...>", "peers to dial at start (multiaddrs ending /p2p/<peer id>)")
    .option("--announce <multiaddr>", "address to put in adverts instead of the listen addresses (repeatable)", collect)
    .option("--price <n>", "cost_per_million_cycles in milli-µMHR (1000 = 1 µMHR per 10^6 cycles)")
    .option("--credit <uMHR>", "node-config credit that funds channel deposits (first start only)")
    .option("--deposit <uMHR>", "deposit of each new payment channel")
    .option("--advert-interval <ms>", "republish the advert this often")
    .option("--mdns", "mDNS discovery: ONLY inside a network namespace you created, never on the host's interfaces")
    .option("--test-lie", "TEST ONLY: return wrong results with consistent hashes (docs/NODE.md §12)")
    .option("--privacy <tiers>", "private tiers to offer: a comma list of split, shared, tee (docs/PRIVATE.md, Marketplace integration)")
    .option("--private-price <uMHR>", "µMHR per private job at price factor 1000 (each tier's price is this times its factor)")
    .option("--tee-backend <kind>", "tee: configfs (the host's configfs-tsm, a real TEE guest) or replay (REPLAY TEST DOUBLE: a recorded report, refused by the production policy)")
    .option("--tee-platform <name>", "replay: sev-snp (default), tdx or sgx")
    .option("--tee-report <file>", "replay: the recorded report or quote (binary or hex)")
    .option("--tee-endorsement <file>", "replay: its VCEK (DER) or collateral (JSON)")
    .action(async (o: { data?: string; profile: string; engine?: string; listen?: string[]; bootstrap?: string[]; announce?: string[]; price?: string; credit?: string; deposit?: string; advertInterval?: string; mdns?: boolean; testLie?: boolean; privacy?: string; privatePrice?: string; teeBackend?: string; teePlatform?: string; teeReport?: string; teeEndorsement?: string }) => {
      const { startDaemon } = await import("../../node/daemon.ts");
      const dir = dataDir(o.data);
      const log = (l: string) => process.stderr.write(`mhr node: ${l}\n`);
      let running;
      try {
        running = await startDaemon({
          dataDir: dir, profile: o.profile, engine: o.engine, listen: o.listen ?? [], bootstrap: o.bootstrap ?? [], announce: o.announce,
          price: int(o.price, "--price"), credit: int(o.credit, "--credit"), channelDeposit: int(o.deposit, "--deposit"),
          advertIntervalMs: o.advertInterval ? Number(int(o.advertInterval, "--advert-interval")) : undefined, mdns: o.mdns, testLie: o.testLie, log,
          privacy: privacyFlags(o), privatePrice: int(o.privatePrice, "--private-price"),
        });
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      const n = running.node;
      console.log(`node ${n.nodeId} (profile ${n.profile.name}, engine ${n.executor.engineName}${o.testLie ? ", TEST LIAR" : ""})`);
      const tiers = n.privacyTierNames();
      if (tiers.length) console.log(`privacy ${tiers.join(", ")}`);
      const tee = n.teeDescription;
      if (tee) console.log(`tee ${tee}`);
      for (const a of n.transport.addresses()) console.log(`listening ${a}`);
      console.log(`control ${join(dir, "control.sock")}`);
      await running.stopped;
      console.log("stopped");
    });

  node
    .command("status")
    .description("peers, adverts held, channels, reputation and the job journal of a running node")
    .option("--data <dir>", "data directory of the node")
    .option("--journal <n>", "journal entries to show", "20")
    .option("--json", "print the status as JSON")
    .action(async (o: { data?: string; journal: string; json?: boolean }) => {
      const s = (await call(dataDir(o.data), "status", { journal: Number(int(o.journal, "--journal")) })) as NodeStatus;
      if (o.json) console.log(JSON.stringify(s));
      else printStatus(s);
    });

  node
    .command("submit")
    .description("run a job through the node (here or delegated); prints the result as `mhr run` does, plus where it ran")
    .argument("[file]", "a contract (.masm, .mhr), a WASM contract (.wasm, .mhrw), or job bytes (.job, as `mhr run --job-out` writes); none with --privacy")
    .option("--data <dir>", "data directory of the node")
    .option("--fn <name>", "function to call (contracts)")
    .option("--args <list>", "comma-separated 64-bit integer arguments (repeatable)", collect)
    .option("--input <bytes>", "job input: hex, @file or text:…")
    .option("--sender <id>", "caller NodeID (default: the node's own NodeID; SELF is always the node's, D11)")
    .option("--epoch <n>", "epoch number")
    .option("--balance <id=amount>", "balance snapshot entry (repeatable)", collect)
    .option("--state <file>", "prior state: JSON object of hex key -> hex value")
    .option("--tier <tier>", "wasm_tier when packaging a .wasm: light or full", "light")
    .option("--export <name:args:rets>", "function-table entry of a .wasm (repeatable)", collect)
    .option("--proof <method>", "result-hash (default), redundant:K-of-N, spotcheck:RATE, reputation:MIN")
    .option("--placement <where>", "auto (default), local or delegate")
    .option("--privacy <mode>", `private compute on providers advertising the tier: ${PRIVACY_MODES.join(", ")} (docs/PRIVATE.md)`)
    .option("--image <list>", "split, tee, split+*: MNIST test-set indices, e.g. 7 or 0,3,10-15")
    .option("--image-file <file>", "split, tee, split+*: raw images, 784 uint8 pixels each")
    .option("--model <name>", "split, tee: mnist-mlp (default) or mnist-mlp-noisy")
    .option("--epsilon <e>", "split, split+*: ε per image of the discrete Gaussian at the cut (default: no noise)")
    .option("--delta <d>", "split: δ per image (default 1e-5)")
    .option("--tee-policy <file>", "tee, split+tee: the attestation policy (JSON; examples/private/)")
    .option("--workload <name>", `shared: ${SHARED_WORKLOADS.join(", ")}`)
    .option("--values <list>", "shared: comma-separated numbers (the column, the vector x, or the searched value)")
    .option("--weights <list>", "shared dot, linear: the secret weights")
    .option("--bias <x>", "shared linear: the secret bias")
    .option("--list <list>", "shared search: the list of integers")
    .option("--neighbourhood <rule>", "shared: host (default) or endpoint (loopback test networks: each port its own neighbourhood)")
    .option("--json", "print the result as JSON")
    .action(async (file: string | undefined, o: JobFlags & PrivateFlags & { data?: string; fn?: string; tier?: string; export?: string[]; proof?: string; placement?: string; json?: boolean }) => {
      const dir = dataDir(o.data);
      if (o.privacy) return submitPrivate(dir, file, o);
      if (!file) throw new UserError("a contract or job file is required (or --privacy)", 2);
      if (!existsSync(file)) throw new UserError(`no such file: ${file}`);
      const status = (await call(dir, "status", { journal: 0 })) as NodeStatus;
      let job: Uint8Array;
      let wasm = false;
      if (file.endsWith(".job")) {
        job = new Uint8Array(readFileSync(file));
      } else {
        if (!o.fn) throw new UserError("--fn is required for a contract (or give a .job file)", 2);
        const flags: JobFlags = { ...o, fn: o.fn, sender: o.sender ?? status.nodeId, self: status.nodeId };
        if (file.endsWith(".wasm") || file.endsWith(".mhrw")) {
          wasm = true;
          const contract = await loadWasmContract(file, { tier: o.tier, fn: o.export });
          job = encodeWasmJob({ ...buildJob(contract, flags), contract });
        } else job = encodeJob(buildJob(loadContract(file), flags));
      }
      const r = (await call(dir, "submit", { job: Buffer.from(job).toString("hex"), proof: o.proof, placement: o.placement }, true)) as SubmitResult;
      printContractResult(r, wasm || r.kind === "wasm", o.json === true);
    });

  node
    .command("call")
    .description("invoke an opaque function by name (here or on a provider that offers it)")
    .argument("<function>", "function name, e.g. blake3-merkle-4k or ed25519-verify-many")
    .option("--data <dir>", "data directory of the node")
    .option("--input <bytes>", "input: hex, @file or text:…")
    .option("--proof <method>", "result-hash (default), redundant:K-of-N, spotcheck:RATE, reputation:MIN")
    .option("--placement <where>", "auto (default), local or delegate")
    .option("--json", "print the result as JSON")
    .action(async (fn: string, o: { data?: string; input?: string; proof?: string; placement?: string; json?: boolean }) => {
      const input = o.input ? parseBytesArg(o.input, "--input") : new Uint8Array(0);
      const r = (await call(dataDir(o.data), "submit", { function: fn, input: Buffer.from(input).toString("hex"), proof: o.proof, placement: o.placement }, true)) as SubmitResult;
      printFunctionResult(r, o.json === true);
    });

  node
    .command("close-channel")
    .description("cooperatively close a payment channel this node pays on; the rest of the deposit returns to its credit")
    .argument("<channel>", "channel id (hex, from `mhr node status`)")
    .option("--data <dir>", "data directory of the node")
    .action(async (channel: string, o: { data?: string }) => {
      await call(dataDir(o.data), "close-channel", { channel });
      console.log(`closed ${channel}`);
    });

  node
    .command("stop")
    .description("stop a running node")
    .option("--data <dir>", "data directory of the node")
    .action(async (o: { data?: string }) => {
      await call(dataDir(o.data), "stop");
      console.log("stopping");
    });

  const ex: Record<string, string[]> = {
    start: ["mhr node start --data /tmp/mhr-gw --profile gateway --listen /ip4/127.0.0.1/tcp/4101", "mhr node start --data /tmp/mhr-p1 --privacy split,shared,tee --tee-backend replay --tee-report host-ts/test/fixtures/attestation/sev-snp/milan-virtee/report_milan.hex --tee-endorsement host-ts/test/fixtures/attestation/sev-snp/milan-virtee/vcek_milan.der", "mhr node start --data /tmp/mhr-mi --profile minimal --engine board:qemu-rv32 --bootstrap /ip4/127.0.0.1/tcp/4101/p2p/12D3KooW…"],
    status: ["mhr node status --data /tmp/mhr-mi", "mhr node status --data /tmp/mhr-mi --json --journal 5"],
    submit: [
      "mhr node submit examples/node/sum.masm --fn sum --args 1000 --data /tmp/mhr-mi", "mhr node submit examples/wasm/bin/gcounter.wasm --fn increment --args 5 --proof redundant:2-of-2 --data /tmp/mhr-mi",
      "mhr node submit --privacy split --image 0-3 --epsilon 8 --data /tmp/mhr-c", "mhr node submit --privacy shared --workload mean --values 1,2,3,4 --neighbourhood endpoint --data /tmp/mhr-c",
      "mhr node submit --privacy tee --image 7 --tee-policy examples/private/tee-policy-replay.json --data /tmp/mhr-c",
    ],
    call: ["mhr node call blake3-merkle-4k --input text:hello --data /tmp/mhr-mi"],
    "close-channel": ["mhr node close-channel 3f9a… --data /tmp/mhr-mi"],
    stop: ["mhr node stop --data /tmp/mhr-mi"],
  };
  for (const c of node.commands) examples(c, ...(ex[c.name()] ?? []));
  examples(node, "mhr node start --data /tmp/mhr-gw --profile gateway", "mhr node submit examples/node/sum.masm --fn sum --args 1000 --data /tmp/mhr-gw", "mhr node status --data /tmp/mhr-gw");
}
