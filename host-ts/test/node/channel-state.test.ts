import { describe, expect, it } from "vitest";
import { blake3 } from "@noble/hashes/blake3.js";
import { bytesToHex } from "../../src/model/bytes.ts";
import { identityFromSeed } from "../../src/node/identity.ts";
import {
  balancesAfter, burnedOf, channelIdOf, channelSigningInput, decodeChannelState, encodeChannelState, owedForCycles, paidIn, signState, unsigned, verifyStateSignature,
} from "../../src/node/channel-state.ts";
import { owedDelta } from "../../src/node/channels.ts";
import { AGREEMENT } from "./samples.ts";

const A = identityFromSeed(new Uint8Array(32).fill(1));
const B = identityFromSeed(new Uint8Array(32).fill(2));

describe("ChannelState (D9)", () => {
  const id = channelIdOf(A.nodeId, B.nodeId, 0x0102n);
  const s = signState(signState(unsigned({ channelId: id, partyA: A.nodeId, partyB: B.nodeId, balanceA: 0x1122334455667788n, balanceB: 5n, sequence: 0x0a0bn }), "a", A.sign), "b", B.sign);
  const bytes = encodeChannelState(s);

  it("is 200 bytes at the Mehr offsets, little-endian", () => {
    expect(bytes.length).toBe(200);
    expect(bytes.subarray(0, 16)).toEqual(id);
    expect(bytes.subarray(16, 32)).toEqual(A.nodeId);
    expect(bytes.subarray(32, 48)).toEqual(B.nodeId);
    expect(bytesToHex(bytes.subarray(48, 56))).toBe("8877665544332211");
    expect(bytesToHex(bytes.subarray(56, 64))).toBe("0500000000000000");
    expect(bytesToHex(bytes.subarray(64, 72))).toBe("0b0a000000000000");
    expect(bytes.subarray(72, 136)).toEqual(s.sigA);
    expect(bytes.subarray(136, 200)).toEqual(s.sigB);
    expect(decodeChannelState(bytes)).toEqual(s);
  });

  it("channel_id = Blake3(party_a || party_b || nonce LE)[0..16]", () => {
    const input = new Uint8Array(40);
    input.set(A.nodeId); input.set(B.nodeId, 16); input[32] = 0x02; input[33] = 0x01;
    expect(bytesToHex(id)).toBe(bytesToHex(blake3(input).slice(0, 16)));
  });

  it("both signatures cover the domain and the first 72 bytes only", () => {
    const prefix = new TextEncoder().encode("mehr-compute/v1/channel-state\u0000");
    expect(bytesToHex(channelSigningInput(s))).toBe(bytesToHex(Uint8Array.from([...prefix, ...bytes.subarray(0, 72)])));
    expect(verifyStateSignature(s, "a", A.publicKey)).toBe(true);
    expect(verifyStateSignature(s, "b", B.publicKey)).toBe(true);
    expect(verifyStateSignature(s, "a", B.publicKey)).toBe(false);
    expect(verifyStateSignature({ ...s, balanceB: 6n }, "b", B.publicKey)).toBe(false);
    expect(verifyStateSignature({ ...s, sigA: new Uint8Array(64) }, "a", A.publicKey)).toBe(false);
  });

  it("D7: 2% of cumulative payments is burned; balances follow from the deposit", () => {
    expect(burnedOf(49n)).toBe(0n);
    expect(burnedOf(50n)).toBe(1n);
    expect(burnedOf(1000n)).toBe(20n);
    expect(balancesAfter(1000n, 100n)).toEqual({ balanceA: 900n, balanceB: 98n });
    expect(balancesAfter(1000n, 1001n)).toBeUndefined();
    const st = { ...s, balanceA: 900n, balanceB: 98n };
    expect(paidIn(st, 1000n)).toBe(100n);
    expect(paidIn({ ...st, balanceB: 99n }, 1000n)).toBeUndefined();
    for (let p = 0n; p <= 500n; p += 7n) {
      const b = balancesAfter(500n, p)!;
      expect(b.balanceA + b.balanceB + burnedOf(p)).toBe(500n);
    }
  });

  it("D5/D6: owed(C) = ceil(C x price / 10^9) uMHR; per-job payments are differences of the cumulative", () => {
    expect(owedForCycles(1_000_000n, 500n)).toBe(1n); // 0.5 uMHR rounds up
    expect(owedForCycles(2_000_000n, 500n)).toBe(1n);
    expect(owedForCycles(2_000_001n, 500n)).toBe(2n);
    expect(owedForCycles(0n, 500n)).toBe(0n);
    // Ten jobs of 300,000 cycles at 1500 milli-uMHR/10^6: cumulative 4.5 uMHR -> 5, not 10 x ceil(0.45) = 10.
    let billed = 0n, total = 0n;
    for (let i = 0; i < 10; i++) { total += owedDelta(AGREEMENT, billed, 300_000n); billed += 300_000n; }
    expect(total).toBe(5n);
  });
});
