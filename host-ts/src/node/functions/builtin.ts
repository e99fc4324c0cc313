/** The opaque functions a node offers unless configured otherwise. */
import { ed25519VerifyMany } from "./ed25519-verify-many.ts";
import { merkleRootFunction } from "./merkle-root.ts";
import type { OpaqueFunction } from "./opaque-function.ts";

export const BUILTIN_FUNCTIONS: readonly OpaqueFunction[] = [merkleRootFunction, ed25519VerifyMany];
