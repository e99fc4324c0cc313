/**
 * The privacy modes a consumer can ask for (docs/PRIVATE.md, Marketplace integration). In a module of their own so
 * that the CLI can list and check them without loading the private-compute stack (and onnxruntime-node with it).
 */
export const PRIVACY_MODES = ["split", "shared", "tee", "split+shared", "split+tee"] as const;
export type PrivacyMode = (typeof PRIVACY_MODES)[number];
