/**
 * Combinations of the private tiers (docs/PRIVATE.md, "Combinations"), as
 * transport-agnostic library code: every function that talks to another
 * party takes a transport (bytes → Promise<bytes>), and every provider side
 * is a handler (bytes in → bytes out, never throws) a node mounts on one of
 * its request/response protocols. No network here.
 *
 *   Split + SecretShared: SharedSplitConsumer (consumer), shareholderHandler
 *     (each of the three shareholders), SplitProvider at the pre1 cut (middle).
 *   Split + TEE: TeeSplitConsumer (consumer), TeeSplitProvider (middle, in the TEE).
 */
export { CombinedError, combinedCodeName, privateErrorCode, type PrivateTierOfError } from "./errors.ts";
export { SHARED_FRAC_BITS, agreedFirstLayerDigests, firstLayerProgram, fixedPointFirstLayer, sharedCutSensitivity } from "./first-layer.ts";
export { shareholderHandler, type ShareholderHandler, type ShareholderHandlerOptions } from "./shareholder.ts";
export { SharedSplitConsumer, toCutGrid, type ShareholderTransport, type SharedSplitTransports, type SharedSplitOptions, type SharedCut, type SharedSplitResult } from "./shared-split.ts";
export { TeeSplitConsumer, TeeSplitProvider, type TeeTransport, type TeeSplitOptions, type TeeAttested, type TeeSplitResult, type TeeSplitProviderOptions } from "./tee-split.ts";
export type { SplitTransport, NoiseSpec } from "../split/consumer.ts";
export { SplitProvider } from "../split/provider.ts";
