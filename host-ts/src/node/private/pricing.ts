/**
 * What a private job costs (docs/PRIVATE.md, Marketplace integration §M3):
 * a provider's base price per private job times the tier's factor, both
 * from data — the factors are spec/private-protocol.json's market
 * PriceFactor table, never constants here.
 */
import { PrivacyTier, TeePlatform as NodeTeePlatform, type PrivacyOffer } from "../../generated/node-protocol.ts";
import { MarketLimit, MarketPriceFactorFactorMilli, MarketPriceFactorProviders, TeePlatform, type TeePlatformValue } from "../../generated/private-protocol.ts";

/** µMHR one provider of `tier` asks per private job: ceil(base × factorMilli / FACTOR_SCALE). */
export function tierPrice(base: bigint, tier: number): bigint {
  const f = MarketPriceFactorFactorMilli[tier];
  if (f === undefined) throw new RangeError(`privacy tier ${tier} has no price factor`);
  const scale = BigInt(MarketLimit.FACTOR_SCALE);
  return (base * BigInt(f) + scale - 1n) / scale;
}

/** Providers one job of `tier` pays (SecretShared: every shareholder). */
export function providersPaid(tier: number): number {
  return MarketPriceFactorProviders[tier] ?? 1;
}

/** The advert's privacy_tiers: None first, then each offered tier with its price (and the TEE's platform). */
export function privacyOffers(base: bigint, tiers: { split?: boolean; shared?: boolean; tee?: TeePlatformValue }): PrivacyOffer[] {
  const out: PrivacyOffer[] = [{ tier: PrivacyTier.None }];
  if (tiers.split) out.push({ tier: PrivacyTier.SplitInference, costPerCall: tierPrice(base, PrivacyTier.SplitInference) });
  if (tiers.shared) out.push({ tier: PrivacyTier.SecretShared, costPerCall: tierPrice(base, PrivacyTier.SecretShared) });
  if (tiers.tee !== undefined) out.push({ tier: PrivacyTier.TEE, teePlatform: nodePlatformOf(tiers.tee), costPerCall: tierPrice(base, PrivacyTier.TEE) });
  return out;
}

/** The attestation library's Platform (1 SEV-SNP, 2 TDX, 3 SGX) as the advert's TeePlatform (0, 1, 2). */
export function nodePlatformOf(p: TeePlatformValue): NodeTeePlatform {
  return ({ [TeePlatform.SEV_SNP]: NodeTeePlatform.AmdSevSnp, [TeePlatform.TDX]: NodeTeePlatform.IntelTdx, [TeePlatform.SGX]: NodeTeePlatform.IntelSgx } as Record<number, NodeTeePlatform>)[p];
}

export function libraryPlatformOf(p: number): TeePlatformValue | undefined {
  return ({ [NodeTeePlatform.AmdSevSnp]: TeePlatform.SEV_SNP, [NodeTeePlatform.IntelTdx]: TeePlatform.TDX, [NodeTeePlatform.IntelSgx]: TeePlatform.SGX } as Record<number, TeePlatformValue>)[p];
}
