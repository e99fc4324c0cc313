/**
 * The rules of docs/NODE.md §4 that a field table cannot express
 * (exactly-one-of, present-iff, ranges between fields). A broken rule is
 * WRONG_TYPE, reported with the path of the struct.
 */
import { CapabilityKind, NodeLimit, PrivacyTier, ProofKind, WasmTier, type StructName, type MessageName } from "../../generated/node-protocol.ts";
import { fail } from "./protocol-error.ts";

type Rule = (v: Record<string, unknown>, path: string) => void;

const wrong = (path: string, what: string): never => fail("WRONG_TYPE", `${path}: ${what}`);

const costMatchesKind = (kind: unknown, cost: Record<string, unknown>, path: string) => {
  const perCall = kind === CapabilityKind.Function || kind === CapabilityKind.Private;
  if (perCall && cost.perInvocation === undefined) wrong(path, "a Function or Private capability is priced per_invocation");
  if (!perCall && cost.perCycle === undefined) wrong(path, "a contract capability is priced per_cycle");
};

/** A private tier is bought exactly as a Private capability (docs/PRIVATE.md, Marketplace integration). */
const privacyMatchesKind = (kind: unknown, privacy: unknown, path: string) => {
  if ((kind === CapabilityKind.Private) !== (privacy !== PrivacyTier.None)) wrong(path, "privacy is not None exactly when the capability kind is Private");
};

export const STRUCT_RULES: Partial<Record<StructName | MessageName, Rule>> = {
  Cost: (v, p) => {
    if ((v.perCycle === undefined) === (v.perInvocation === undefined)) wrong(p, "exactly one of per_cycle and per_invocation");
  },
  PrivacyOffer: (v, p) => {
    if ((v.tier === PrivacyTier.TEE) !== (v.teePlatform !== undefined)) wrong(p, "tee_platform is present exactly when tier is TEE");
    if ((v.tier === PrivacyTier.None) !== (v.costPerCall === undefined)) wrong(p, "cost_per_call is present exactly when tier is not None");
  },
  CapabilitySpec: (v, p) => {
    const kind = v.kind;
    if ((kind === CapabilityKind.Function) !== (v.functionId !== undefined)) wrong(p, "function_id is present exactly when kind is Function");
    if (kind === CapabilityKind.Wasm ? v.wasmTier === WasmTier.None : v.wasmTier !== WasmTier.None) wrong(p, "wasm_tier is Light or Full for Wasm, None otherwise");
    if ((kind === CapabilityKind.Function || kind === CapabilityKind.Private) && v.maxCycles !== 0n) wrong(p, "max_cycles is 0 for a Function or Private capability");
  },
  ProofMethod: (v, p) => {
    const has = (k: string) => v[k] !== undefined;
    const only = (...ks: string[]) => {
      for (const k of ["k", "n", "ratePpm", "minScore"]) if (has(k) !== ks.includes(k)) wrong(p, `${ks.length ? ks.join(", ") : "no parameter"} ${ks.length > 1 ? "are" : "is"} required for this kind, nothing else`);
    };
    switch (v.kind) {
      case ProofKind.ResultHash: only(); break;
      case ProofKind.Redundant: {
        only("k", "n");
        const k = v.k as number, n = v.n as number;
        if (n < 2 || n > NodeLimit.MAX_REDUNDANCY || k < 1 || k > n || 2 * k <= n) wrong(p, `k-of-n needs 2 <= n <= ${NodeLimit.MAX_REDUNDANCY} and n/2 < k <= n (one winner at most)`);
        break;
      }
      case ProofKind.SpotCheck: {
        only("ratePpm");
        const r = v.ratePpm as number;
        if (r < 1 || r > 1_000_000) wrong(p, "rate_ppm is 1..1000000");
        break;
      }
      case ProofKind.Reputation: {
        only("minScore");
        if ((v.minScore as number) > NodeLimit.MAX_COMPUTE_SCORE) wrong(p, "min_score is at most 10000");
        break;
      }
    }
  },
  AgreementBody: (v, p) => {
    if ((v.validFrom as bigint) >= (v.validUntil as bigint)) wrong(p, "valid_from < valid_until");
    costMatchesKind((v.capability as Record<string, unknown>).kind, v.cost as Record<string, unknown>, p);
    privacyMatchesKind((v.capability as Record<string, unknown>).kind, v.privacy, p);
  },
  CapabilityRequest: (v, p) => {
    if ((v.desiredDuration as number) < 1) wrong(p, "desired_duration is at least 1 s");
    costMatchesKind((v.capability as Record<string, unknown>).kind, v.desiredCost as Record<string, unknown>, p);
    privacyMatchesKind((v.capability as Record<string, unknown>).kind, v.privacy, p);
  },
  ComputeCapabilities: (v, p) => {
    if ((v.load as number) > 100) wrong(p, "load is a percentage, 0..100");
  },
  FunctionCall: (v, p) => {
    if (v.version !== 1) wrong(p, "version must be 1");
  },
  FunctionResult: (v, p) => {
    if (v.version !== 1) wrong(p, "version must be 1");
  },
  AdvertSyncRequest: (v, p) => {
    const n = v.maxAdverts as number;
    if (n < 1 || n > 1024) wrong(p, "max_adverts is 1..1024");
  },
};
