/**
 * The exact bytes of every node message (docs/NODE.md §4), pinned by golden
 * hex, and the strict decoder's error code for each kind of bad input
 * (§3.3). UPDATE_GOLDEN=1 rewrites the golden file after a deliberate change.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decodeStrict, encodeCanonical, type CborMap } from "../../src/model/cbor.ts";
import { bytesToHex } from "../../src/model/bytes.ts";
import { MESSAGE_SCHEMAS, NodeErrorCode, type MessageName } from "../../src/generated/node-protocol.ts";
import { decodeMessage, encodeStruct, messageBody } from "../../src/node/wire/schema-codec.ts";
import { ProtocolError } from "../../src/node/wire/protocol-error.ts";
import { encodeSigned } from "../../src/node/wire/signed.ts";
import { decodeAdvert, encodeAdvert } from "../../src/node/messages/advert.ts";
import { decodeCapabilityAgreement, decodeCapabilityOffer, decodeCapabilityRequest } from "../../src/node/messages/negotiation-messages.ts";
import { decodeComputeResult, decodeFunctionCall, decodeFunctionResult } from "../../src/node/messages/execution-messages.ts";
import { encodeChannelState } from "../../src/node/channel-state.ts";
import { ADVERT, AGREEMENT, CONSUMER, FUNCTION_RESULT, JOB, PROVIDER, REQUEST_BYTES, STATE1_BOTH, T0, sampleMessages } from "./samples.ts";

const GOLDEN = fileURLToPath(new URL("./fixtures/node-messages.golden.json", import.meta.url));

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ProtocolError) return e.codeName;
    throw e;
  }
  return "OK";
}

function mutate(bytes: Uint8Array, f: (m: CborMap) => void): Uint8Array {
  const m = decodeStrict(bytes) as CborMap;
  f(m);
  return encodeCanonical(m);
}

const NOW = Number(T0) + 1000;

describe("golden bytes", () => {
  const samples = sampleMessages();
  const current: Record<string, string> = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, bytesToHex(v)]));
  current["struct:AgreementBody"] = bytesToHex(encodeStruct("AgreementBody", AGREEMENT));
  current["struct:FunctionCall"] = bytesToHex(JOB);
  current["struct:FunctionResult"] = bytesToHex(FUNCTION_RESULT);
  current["ChannelState"] = bytesToHex(encodeChannelState(STATE1_BOTH));
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(GOLDEN, JSON.stringify(current, null, 2) + "\n");
  const golden = existsSync(GOLDEN) ? (JSON.parse(readFileSync(GOLDEN, "utf8")) as Record<string, string>) : {};

  it("covers every message type of the table", () => {
    expect(Object.keys(samples).sort()).toEqual(Object.keys(MESSAGE_SCHEMAS).sort());
  });

  for (const name of Object.keys(current)) {
    it(`${name} encodes to its golden bytes`, () => {
      expect(current[name]).toBe(golden[name]);
    });
  }

  for (const [name, bytes] of Object.entries(samples)) {
    it(`${name} decodes strictly and re-encodes to the same bytes`, () => {
      const d = decodeMessage(bytes, [name as MessageName]);
      expect(d.name).toBe(name);
      expect(decodeStrict(bytes)).toEqual(decodeStrict(bytes)); // canonical: decodeStrict accepts it
      const body = encodeCanonical(messageBody(name as MessageName, d.value as never));
      expect(bytesToHex(body)).toBe(bytesToHex(d.body));
      expect(bytes.length).toBeLessThanOrEqual(MESSAGE_SCHEMAS[name as MessageName].maxBytes);
    });
  }

  it("the semantic decoders accept the samples", () => {
    expect(decodeAdvert(samples.NodeAdvert, NOW).seq).toBe(7n);
    expect(decodeCapabilityRequest(samples.CapabilityRequest).nonce).toBe(0x0102030405060708n);
    expect(decodeCapabilityOffer(samples.CapabilityOffer).body.agreementId).toEqual(AGREEMENT.agreementId);
    expect(decodeCapabilityAgreement(samples.CapabilityAgreement).body.validUntil).toBe(AGREEMENT.validUntil);
    expect(decodeComputeResult(samples.ComputeResult, PROVIDER.publicKey).cycles).toBe(12009n);
    expect(decodeFunctionCall(JOB).input.length).toBe(5);
    expect(decodeFunctionResult(FUNCTION_RESULT).output.length).toBe(36);
  });
});

describe("strict decoding: each bad input has its code", () => {
  const s = sampleMessages();
  const req = REQUEST_BYTES;
  const decodeReq = (b: Uint8Array) => decodeCapabilityRequest(b);

  it("MALFORMED: not CBOR, not canonical, trailing bytes, not a map", () => {
    expect(code(() => decodeReq(Uint8Array.of(0xff)))).toBe("MALFORMED");
    expect(code(() => decodeReq(req.subarray(0, req.length - 3)))).toBe("MALFORMED");
    expect(code(() => decodeReq(Uint8Array.from([...req, 0])))).toBe("MALFORMED");
    expect(code(() => decodeReq(Uint8Array.of(0x80)))).toBe("MALFORMED");
    // key 0 in a non-shortest head
    expect(code(() => decodeReq(Uint8Array.of(0xa1, 0x18, 0x00, 0x04)))).toBe("MALFORMED");
  });

  it("UNKNOWN_TYPE: missing, unknown, or another protocol's type", () => {
    expect(code(() => decodeReq(mutate(req, (m) => m.delete(0n))))).toBe("UNKNOWN_TYPE");
    expect(code(() => decodeReq(mutate(req, (m) => m.set(0n, 999n))))).toBe("UNKNOWN_TYPE");
    expect(code(() => decodeReq(s.ErrorReply))).toBe("UNKNOWN_TYPE");
  });

  it("UNKNOWN_FIELD: an extra key, a text key, an extra key inside a struct", () => {
    expect(code(() => decodeReq(mutate(req, (m) => m.set(20n, 1n))))).toBe("UNKNOWN_FIELD");
    expect(code(() => decodeReq(mutate(req, (m) => m.set("x", 1n))))).toBe("UNKNOWN_FIELD");
    expect(code(() => decodeReq(mutate(req, (m) => (m.get(4n) as CborMap).set(9n, 0n))))).toBe("UNKNOWN_FIELD");
  });

  it("MISSING_FIELD and UNSIGNED", () => {
    expect(code(() => decodeReq(mutate(req, (m) => m.delete(9n))))).toBe("MISSING_FIELD");
    expect(code(() => decodeReq(mutate(req, (m) => (m.get(4n) as CborMap).delete(1n))))).toBe("MISSING_FIELD");
    expect(code(() => decodeReq(mutate(req, (m) => m.delete(31n))))).toBe("UNSIGNED");
  });

  it("WRONG_TYPE: lengths, types, ranges, enums, flags and struct rules", () => {
    expect(code(() => decodeReq(mutate(req, (m) => m.set(1n, new Uint8Array(15)))))).toBe("WRONG_TYPE");
    expect(code(() => decodeReq(mutate(req, (m) => m.set(9n, new Uint8Array(8)))))).toBe("WRONG_TYPE");
    expect(code(() => decodeReq(mutate(req, (m) => m.set(6n, 1n << 32n))))).toBe("WRONG_TYPE");
    expect(code(() => decodeReq(mutate(req, (m) => m.set(11n, 9n))))).toBe("WRONG_TYPE");
    expect(code(() => decodeReq(mutate(req, (m) => m.set(31n, new Uint8Array(63)))))).toBe("WRONG_TYPE");
    // Cost with both per_cycle and per_invocation
    expect(code(() => decodeReq(mutate(req, (m) => (m.get(5n) as CborMap).set(2n, new Map<bigint, bigint>([[1n, 1n], [2n, 1n]]) as CborMap))))).toBe("WRONG_TYPE");
    // Redundant 1-of-2 (k must exceed n/2)
    expect(code(() => decodeReq(mutate(req, (m) => { const pm = m.get(8n) as CborMap; pm.set(2n, 1n); pm.set(3n, 2n); })))).toBe("WRONG_TYPE");
    // advert flag 2
    expect(code(() => decodeAdvert(mutate(s.NodeAdvert, (m) => (m.get(7n) as CborMap).set(3n, 2n)), NOW))).toBe("WRONG_TYPE");
  });

  it("OVERSIZED: above the message type's maximum", () => {
    const big = encodeCanonical(new Map<bigint, bigint | Uint8Array>([[0n, 2n], [1n, new Uint8Array(100)]]) as CborMap);
    expect(code(() => decodeMessage(big, ["AdvertSyncRequest"]))).toBe("OVERSIZED");
  });

  it("BAD_SIGNATURE: a flipped signature bit, or a field changed under the signature", () => {
    expect(code(() => decodeReq(mutate(req, (m) => { const sig = (m.get(31n) as Uint8Array).slice(); sig[0] ^= 1; m.set(31n, sig); })))).toBe("BAD_SIGNATURE");
    expect(code(() => decodeReq(mutate(req, (m) => m.set(9n, 5n))))).toBe("BAD_SIGNATURE");
    expect(code(() => decodeComputeResult(s.ComputeResult, CONSUMER.publicKey))).toBe("BAD_SIGNATURE");
    const agreement = mutate(s.CapabilityAgreement, (m) => m.set(3n, new Uint8Array(64)));
    expect(code(() => decodeCapabilityAgreement(agreement))).toBe("UNSIGNED");
  });

  it("BAD_NODE_ID: a NodeID that is not the key's", () => {
    const forged = encodeSigned("NodeAdvert", { ...ADVERT, nodeId: CONSUMER.nodeId }, PROVIDER);
    expect(code(() => decodeAdvert(forged, NOW))).toBe("BAD_NODE_ID");
  });

  it("advert freshness and TTL", () => {
    expect(code(() => decodeAdvert(s.NodeAdvert, Number(T0) + 400_000))).toBe("ADVERT_EXPIRED");
    expect(code(() => decodeAdvert(s.NodeAdvert, Number(T0) - 120_000))).toBe("ADVERT_FROM_FUTURE");
    expect(code(() => decodeAdvert(encodeAdvert({ ...ADVERT, expiresAt: T0 + 3_600_001n }, PROVIDER), NOW))).toBe("ADVERT_BAD_TTL");
    const badFn = { ...ADVERT, compute: { ...ADVERT.compute, offeredFunctions: [{ ...ADVERT.compute.offeredFunctions[0], name: "other" }] } };
    expect(code(() => decodeAdvert(encodeAdvert(badFn, PROVIDER), NOW))).toBe("ADVERT_BAD_FUNCTION");
  });

  it("every error code decodes inside an ErrorReply", () => {
    for (const c of Object.values(NodeErrorCode)) {
      const d = decodeMessage(mutate(s.ErrorReply, (m) => m.set(1n, BigInt(c))), ["ErrorReply"]);
      expect(d.value.code).toBe(c);
    }
  });
});
