/**
 * The one place a node's transport is chosen (`mhr node start`, tests,
 * simulations): js-libp2p 3 over TCP for real nodes, the in-process memory
 * network for tests and simulations. libp2p is imported only when used.
 */
import type { NodeIdentity } from "./identity.ts";
import type { MemoryNetwork } from "./memory-transport.ts";
import type { Transport } from "./transport.ts";

export type TransportSpec =
  | {
      kind: "libp2p";
      /** Multiaddrs to listen on (default /ip4/127.0.0.1/tcp/0). */
      listen?: string[];
      bootstrap?: string[];
      /** mDNS discovery: only inside a network namespace you created (docs/TRANSPORT.md §5). */
      mdns?: boolean;
      heartbeatIntervalMs?: number;
    }
  | { kind: "memory"; network: MemoryNetwork; name: string };

export function transportFor(spec: TransportSpec): (identity: NodeIdentity) => Promise<Transport> {
  if (spec.kind === "memory") return async (identity) => spec.network.transport(spec.name, { publicKey: identity.publicKey });
  return async (identity) => {
    const { createLibp2pTransport } = await import("./libp2p-transport.ts");
    return createLibp2pTransport({
      seed: identity.keyMaterial().seed,
      listen: spec.listen,
      bootstrap: spec.bootstrap,
      mdns: spec.mdns ? {} : false,
      heartbeatIntervalMs: spec.heartbeatIntervalMs,
    });
  };
}
