/**
 * The Mehr ChannelState (D9): 200 bytes, little-endian —
 *   channel_id 16 | party_a 16 | party_b 16 | balance_a u64 | balance_b u64 |
 *   sequence u64 | sig_a 64 | sig_b 64
 * Both signatures cover `"mehr-compute/v1/channel-state" ‖ 0x00 ‖ bytes[0..72)`.
 * party_a is the payer (consumer). Payments are cumulative (D6, D7): after
 * cumulative payments P on a channel with deposit D,
 *   balance_a = D − P,  balance_b = P − floor(P / 50),  burned = floor(P / 50).
 */
import { hash32 } from "../model/codec.ts";
import { equalBytes } from "../model/bytes.ts";
import { NodeLimit } from "../generated/node-protocol.ts";
import { signingInput } from "./wire/schema-codec.ts";
import { verifySignature } from "./identity.ts";

export const CHANNEL_STATE_SIZE = NodeLimit.CHANNEL_STATE_SIZE;
const SIGNED_PREFIX = 72;
const U64_MAX = (1n << 64n) - 1n;
const ZERO_SIG = new Uint8Array(64);

export interface ChannelState {
  channelId: Uint8Array;
  partyA: Uint8Array;
  partyB: Uint8Array;
  balanceA: bigint;
  balanceB: bigint;
  sequence: bigint;
  sigA: Uint8Array;
  sigB: Uint8Array;
}

export function encodeChannelState(s: ChannelState): Uint8Array {
  const out = new Uint8Array(CHANNEL_STATE_SIZE);
  const dv = new DataView(out.buffer);
  const put = (b: Uint8Array, at: number, n: number) => {
    if (b.length !== n) throw new RangeError(`channel state field at ${at} must be ${n} bytes`);
    out.set(b, at);
  };
  for (const v of [s.balanceA, s.balanceB, s.sequence]) if (v < 0n || v > U64_MAX) throw new RangeError("channel state integers are u64");
  put(s.channelId, 0, 16);
  put(s.partyA, 16, 16);
  put(s.partyB, 32, 16);
  dv.setBigUint64(48, s.balanceA, true);
  dv.setBigUint64(56, s.balanceB, true);
  dv.setBigUint64(64, s.sequence, true);
  put(s.sigA, 72, 64);
  put(s.sigB, 136, 64);
  return out;
}

/** Any 200 bytes are a ChannelState; whether it is a valid one is for the checks below. */
export function decodeChannelState(bytes: Uint8Array): ChannelState {
  if (bytes.length !== CHANNEL_STATE_SIZE) throw new RangeError(`a ChannelState is ${CHANNEL_STATE_SIZE} bytes, got ${bytes.length}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    channelId: bytes.slice(0, 16),
    partyA: bytes.slice(16, 32),
    partyB: bytes.slice(32, 48),
    balanceA: dv.getBigUint64(48, true),
    balanceB: dv.getBigUint64(56, true),
    sequence: dv.getBigUint64(64, true),
    sigA: bytes.slice(72, 136),
    sigB: bytes.slice(136, 200),
  };
}

/** channel_id = Blake3(party_a ‖ party_b ‖ nonce u64 LE)[0..16] (D9). */
export function channelIdOf(partyA: Uint8Array, partyB: Uint8Array, nonce: bigint): Uint8Array {
  const b = new Uint8Array(40);
  b.set(partyA, 0);
  b.set(partyB, 16);
  new DataView(b.buffer).setBigUint64(32, nonce, true);
  return hash32(b).slice(0, 16);
}

/** What both parties sign: the domain and the first 72 bytes (ids, balances, sequence). */
export function channelSigningInput(s: ChannelState): Uint8Array {
  return signingInput("channel-state", encodeChannelState(s).subarray(0, SIGNED_PREFIX));
}

export function signState(s: ChannelState, party: "a" | "b", sign: (m: Uint8Array) => Uint8Array): ChannelState {
  const sig = sign(channelSigningInput(s));
  return party === "a" ? { ...s, sigA: sig } : { ...s, sigB: sig };
}

export function verifyStateSignature(s: ChannelState, party: "a" | "b", publicKey: Uint8Array): boolean {
  const sig = party === "a" ? s.sigA : s.sigB;
  if (equalBytes(sig, ZERO_SIG)) return false;
  return verifySignature(publicKey, channelSigningInput(s), sig);
}

export function hasSignature(s: ChannelState, party: "a" | "b"): boolean {
  return !equalBytes(party === "a" ? s.sigA : s.sigB, ZERO_SIG);
}

export function unsigned(s: Omit<ChannelState, "sigA" | "sigB">): ChannelState {
  return { ...s, sigA: new Uint8Array(64), sigB: new Uint8Array(64) };
}

/** D7: of cumulative payments P, floor(P / 50) is burned. */
export function burnedOf(paid: bigint): bigint {
  return paid / BigInt(NodeLimit.BURN_DIVISOR);
}

/** The balances after cumulative payments `paid` out of `deposit` (D7); undefined when paid exceeds the deposit. */
export function balancesAfter(deposit: bigint, paid: bigint): { balanceA: bigint; balanceB: bigint } | undefined {
  if (paid < 0n || paid > deposit) return undefined;
  return { balanceA: deposit - paid, balanceB: paid - burnedOf(paid) };
}

/** The cumulative payment a state records, or undefined when its balances do not follow D7 from `deposit`. */
export function paidIn(s: ChannelState, deposit: bigint): bigint | undefined {
  if (s.balanceA > deposit) return undefined;
  const paid = deposit - s.balanceA;
  return s.balanceB === paid - burnedOf(paid) ? paid : undefined;
}

/** D6: µMHR owed for cumulative verified cycles C at cost_per_million_cycles milli-µMHR: ceil(C × price / 10^9). */
export function owedForCycles(cycles: bigint, costPerMillionCycles: bigint): bigint {
  const scale = BigInt(NodeLimit.PRICE_SCALE);
  return (cycles * costPerMillionCycles + scale - 1n) / scale;
}
