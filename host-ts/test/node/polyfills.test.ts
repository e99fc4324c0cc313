/**
 * Node 20 has no Promise.withResolvers and js-libp2p 3 needs it. These tests
 * show both halves: without the polyfill the node's libp2p stack cannot even
 * be created on such a runtime, with it (imported first, as the transport
 * and the CLI do) it starts and carries a request. Child processes give each
 * case a clean global `Promise`; each deletes the built-in first, so the
 * proof holds on runtimes that have one too.
 */
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { installPromiseWithResolvers } from "../../src/node/polyfills.ts";

const REPO = fileURLToPath(new URL("../../..", import.meta.url));
const SRC = join(REPO, "host-ts/src");
const run = promisify(execFile);

async function child(script: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: REPO, timeout: 60_000 });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

describe("Promise.withResolvers polyfill", () => {
  it("installs itself only where the runtime has none, and then behaves like the built-in", async () => {
    const own = () => ({ promise: Promise.resolve(), resolve: () => undefined, reject: () => undefined });
    const withOwn = class<T> extends Promise<T> {};
    Object.defineProperty(withOwn, "withResolvers", { value: own, configurable: true, writable: true });
    expect(installPromiseWithResolvers(withOwn)).toBe(false);
    expect((withOwn as unknown as { withResolvers: unknown }).withResolvers).toBe(own);

    class Bare<T> extends Promise<T> {}
    Object.defineProperty(Bare, "withResolvers", { value: undefined, configurable: true, writable: true });
    expect(installPromiseWithResolvers(Bare)).toBe(true);
    const make = (Bare as unknown as { withResolvers<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } }).withResolvers;
    expect(Object.getOwnPropertyDescriptor(Bare, "withResolvers")!.enumerable).toBe(false);
    const ok = make.call(Bare) as { promise: Promise<number>; resolve(v: number): void };
    expect(ok.promise).toBeInstanceOf(Bare);
    ok.resolve(7);
    await expect(ok.promise).resolves.toBe(7);
    const bad = make.call(Bare) as { promise: Promise<number>; reject(e: unknown): void };
    bad.reject(new Error("no"));
    await expect(bad.promise).rejects.toThrow("no");
    expect(installPromiseWithResolvers(Bare)).toBe(false);
  });

  it("is what lets the libp2p stack be created on a runtime without Promise.withResolvers", async () => {
    const stack = `
      const { createLibp2p } = await import("libp2p");
      const { tcp } = await import("@libp2p/tcp");
      const { noise } = await import("@chainsafe/libp2p-noise");
      const { yamux } = await import("@chainsafe/libp2p-yamux");
      const { identify } = await import("@libp2p/identify");
      const { gossipsub } = await import("@libp2p/gossipsub");
      try {
        const n = await createLibp2p({ addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], services: { identify: identify(), pubsub: gossipsub() } });
        await n.start(); await n.stop(); console.log("STARTED");
      } catch (e) { console.log("FAILED: " + e.message); }`;
    const [without, withIt] = await Promise.all([
      child(`delete Promise.withResolvers; ${stack}`),
      child(`delete Promise.withResolvers; await import("./host-ts/src/node/polyfills.ts"); ${stack}`),
    ]);
    expect(without.out).toContain("FAILED: Promise.withResolvers is not a function");
    expect(withIt.out).toContain("STARTED");
  });

  it("comes first through the transport module: a request crosses two nodes on such a runtime", async () => {
    const r = await child(`
      delete Promise.withResolvers;
      const { createLibp2pTransport } = await import("./host-ts/src/node/libp2p-transport.ts");
      const a = await createLibp2pTransport({ seed: new Uint8Array(32).fill(1) });
      const b = await createLibp2pTransport({ seed: new Uint8Array(32).fill(2) });
      await a.start(); await b.start();
      b.handle("/p/1", { maxRequestBytes: 10, readTimeoutMs: 5000 }, async (q) => q.body.map((x) => x + 1));
      const id = await a.dial(b.addresses()[0]);
      const got = await a.request(id, "/p/1", Uint8Array.of(1, 2), { timeoutMs: 5000, maxResponseBytes: 10 });
      await a.stop(); await b.stop();
      console.log("GOT " + Array.from(got).join(","));`);
    expect(r.out).toContain("GOT 2,3");
  });

  it("is imported before any libp2p package by every module that imports one, and by the CLI entry", () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith(".ts")) files.push(p);
      }
    };
    walk(SRC);
    const importsOf = (file: string) => [...readFileSync(file, "utf8").matchAll(/^\s*import\s+(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']/gm)].map((m) => m[1]);
    const isLibp2p = (spec: string) => spec === "libp2p" || spec.startsWith("libp2p/") || spec.startsWith("@libp2p/") || spec.startsWith("@chainsafe/libp2p");
    let checked = 0;
    for (const file of files) {
      if (file.endsWith("polyfills.ts")) continue;
      const specs = importsOf(file);
      const firstLibp2p = specs.findIndex(isLibp2p);
      if (firstLibp2p < 0) continue;
      checked++;
      const poly = specs.findIndex((s) => s.endsWith("/polyfills.ts"));
      expect(poly, `${relative(REPO, file)} imports libp2p before polyfills.ts`).toBeGreaterThanOrEqual(0);
      expect(poly, `${relative(REPO, file)} imports libp2p before polyfills.ts`).toBe(0);
    }
    expect(checked).toBeGreaterThan(0);
    expect(importsOf(join(SRC, "cli/main.ts"))[0]).toBe("../node/polyfills.ts");
  });
});
