/** The in-process memory transport against the same conformance suite as libp2p. */
import { ed25519 } from "@noble/curves/ed25519.js";
import { MemoryNetwork, type MemoryTransport } from "../../src/node/memory-transport.ts";
import { transportConformance, type RawStream } from "./transport-conformance.ts";

const net = new MemoryNetwork({ seed: 7, log: () => undefined });

transportConformance({
  name: "memory",
  // Each test identity has its own Ed25519 key, as a node passes its own (transport-factory.ts).
  create: async (i) => net.transport(`conf-node-${i}`, { publicKey: ed25519.getPublicKey(new Uint8Array(32).fill(i + 1)) }),
  async raw(from, to, protocol): Promise<RawStream> {
    const s = await (from as MemoryTransport).openStream(to, protocol, { timeoutMs: 60_000, maxResponseBytes: 1 << 20 });
    const ended = s.response.then(
      () => "closed" as const,
      () => "reset" as const,
    );
    return {
      write: async (bytes) => s.write(bytes),
      closeWrite: async () => s.close(),
      reset: () => s.reset(),
      ended,
    };
  },
});
