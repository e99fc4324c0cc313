/**
 * Three transports in three network namespaces joined by a bridge, finding
 * each other by mDNS alone: requests and gossip cross real (virtual) links,
 * and the adverts' addresses are the namespaces' own, never loopback.
 * Skipped, with the reason, where namespaces cannot be created.
 */
import { afterAll, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { netnsSupport, NetnsTopology } from "./netns.ts";

const support = netnsSupport();
const REPO = fileURLToPath(new URL("../../..", import.meta.url));
const PEER = fileURLToPath(new URL("./fixtures/netns-peer.ts", import.meta.url));
const N = 3;

if (!support.ok) console.warn(`netns transport test skipped: ${support.reason}`);

describe.skipIf(!support.ok)("libp2p transport across network namespaces (mDNS discovery only)", () => {
  let topo: NetnsTopology | undefined;
  afterAll(async () => {
    await topo?.destroy();
    if (topo) expect(topo.remaining()).toEqual([]);
  });

  it("discovers every peer, answers requests and relays gossip between namespaces", { timeout: 120_000 }, async () => {
    topo = NetnsTopology.create(N);
    type Line = { event: string; [k: string]: unknown };
    const lines: Line[][] = topo.nodes.map(() => []);
    const procs = topo.nodes.map((n, i) => {
      const p = topo!.spawn(n.ns, [process.execPath, "--import", "tsx", PEER, String(i), String(N)], { cwd: REPO });
      createInterface({ input: p.stdout! }).on("line", (l) => {
        try {
          lines[i].push(JSON.parse(l) as Line);
        } catch {
          lines[i].push({ event: "stdout", text: l });
        }
      });
      let err = "";
      p.stderr!.on("data", (d: Buffer) => (err += d.toString()));
      p.once("exit", (code) => code && code !== 0 && lines[i].push({ event: "exit", code, err }));
      return p;
    });
    const done = () =>
      lines.every((ls, i) => {
        const replies = new Set(ls.filter((l) => l.event === "reply").map((l) => l.peer));
        const gossipFrom = new Set(ls.filter((l) => l.event === "gossip").map((l) => l.data));
        return replies.size === N - 1 && gossipFrom.size === N - 1 && !gossipFrom.has(`gossip from ${i}`);
      });
    const deadline = Date.now() + 90_000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`namespaces did not converge: ${JSON.stringify(lines)}`);
      if (lines.some((ls) => ls.some((l) => l.event === "exit"))) throw new Error(`a peer died: ${JSON.stringify(lines)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const ready = lines.map((ls) => ls.find((l) => l.event === "ready")!);
    ready.forEach((r, i) => {
      const addrs = r.addresses as string[];
      expect(addrs.length).toBeGreaterThan(0);
      for (const a of addrs) expect(a).toBe(`/ip4/${topo!.nodes[i].address}/tcp/4001/p2p/${r.self as string}`);
    });
    for (let i = 0; i < N; i++) {
      for (const reply of lines[i].filter((l) => l.event === "reply")) {
        expect(reply.text).toMatch(new RegExp(`^hello ${ready[i].self as string} from ${reply.peer as string}: #${i}$`));
      }
    }
    for (const p of procs) p.kill("SIGTERM");
    await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once("exit", r)))));
    for (const ls of lines) expect(ls.some((l) => l.event === "stopped")).toBe(true);
  });
});
