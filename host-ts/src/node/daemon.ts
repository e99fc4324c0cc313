/**
 * `mhr node start`: a MeshNode on libp2p with its control socket, running
 * until SIGINT, SIGTERM or a `stop` request on the control API.
 */
import { MeshNode, type NodeOptions } from "./mesh-node.ts";
import { transportFor } from "./transport-factory.ts";
import { teeBackendFrom, type TeeBackendSpec } from "./private/tee-config.ts";

export interface DaemonOptions {
  dataDir: string;
  profile: string;
  engine?: string;
  listen: string[];
  bootstrap: string[];
  announce?: string[];
  price?: bigint;
  credit?: bigint;
  channelDeposit?: bigint;
  advertIntervalMs?: number;
  mdns?: boolean;
  /** Private tiers offered (docs/PRIVATE.md, Marketplace integration). */
  privacy?: { split?: boolean; shared?: boolean; tee?: TeeBackendSpec };
  privatePrice?: bigint;
  /** TEST ONLY: make this node a lying provider (docs/NODE.md §12). */
  testLie?: boolean;
  log: (line: string) => void;
}

export interface RunningNode {
  node: MeshNode;
  /** Resolves once the node has stopped (signal or control request). */
  stopped: Promise<void>;
}

export async function startDaemon(o: DaemonOptions): Promise<RunningNode> {
  const opts: NodeOptions = {
    dataDir: o.dataDir,
    profile: o.profile,
    engine: o.engine,
    transport: transportFor({ kind: "libp2p", listen: o.listen.length ? o.listen : undefined, bootstrap: o.bootstrap, mdns: o.mdns }),
    bootstrap: o.bootstrap,
    announce: o.announce,
    price: o.price,
    credit: o.credit,
    channelDeposit: o.channelDeposit,
    advertIntervalMs: o.advertIntervalMs,
    log: o.log,
    privacy: o.privacy ? { split: o.privacy.split, shared: o.privacy.shared, tee: o.privacy.tee ? await teeBackendFrom(o.privacy.tee) : undefined } : undefined,
    privatePrice: o.privatePrice,
    privateWarm: true,
    ...(o.testLie ? { testing: { lie: { rate: 1 } } } : {}),
  };
  const node = await MeshNode.start(opts);
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    node.stop().then(resolveStopped, (e) => {
      o.log(`stop: ${(e as Error).message}`);
      resolveStopped();
    });
  };
  node.onStopRequest = stop;
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return { node, stopped };
}
