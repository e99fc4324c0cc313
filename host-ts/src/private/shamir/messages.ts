/**
 * The messages of the SecretShared protocol: typed values and their
 * deterministic CBOR (docs/PRIVATE.md §2.6). Each is a map with exactly the
 * keys spec/private-protocol.json gives its type (generated as `ShamirKey`);
 * vectors of field elements are one byte string of 16-byte big-endian
 * elements. Party 0 is the consumer, 1..n the providers; in a DealInputs
 * `from` is the dealer's index (≥ 1).
 */
import { encodeCanonical, decodeStrict, isUint, isBytes, isMap, CborError, type CborValue, type CborMap } from "../../model/cbor.ts";
import { ShamirKey, ShamirLimit, ShamirMessageType } from "../../generated/private-protocol.ts";
import { fail } from "./errors.ts";
import { packElements, unpackElements, elementToBytes, elementFromBytes } from "./field.ts";

export const CONSUMER = 0;

interface Header { readonly session: Uint8Array; readonly from: number; readonly to: number }

export interface DealMessage extends Header {
  readonly type: "deal";
  /** The program's canonical CBOR. */
  readonly program: Uint8Array;
  /** One share per consumer input. */
  readonly z: readonly bigint[];
  /** Verified programs: the shares of r·x for each input; otherwise empty. */
  readonly y: readonly bigint[];
  /** Verified programs: the share of the MAC key r; otherwise empty. */
  readonly r: readonly bigint[];
}

export interface DealInputsMessage extends Header {
  readonly type: "deal-inputs";
  /** Blake3-256 of the program. */
  readonly digest: Uint8Array;
  /** One share per input of dealer `from`. */
  readonly z: readonly bigint[];
}

export interface RoundMessage extends Header {
  readonly type: "round";
  readonly round: number;
  /** One reshare per mul of the round, in wire order. */
  readonly z: readonly bigint[];
  /** One reshare per mul and auth of the round (their MAC shares), in wire order. */
  readonly y: readonly bigint[];
  /** Round 1: one share of this sender's contribution per random op; otherwise empty. */
  readonly random: readonly bigint[];
}

export interface ReadyMessage extends Header { readonly type: "ready" }

export interface ChallengeMessage extends Header {
  readonly type: "challenge";
  /** The MAC key, revealed after every round is over. */
  readonly r: bigint;
  /** The check weights are β, β², β³, … over the checked wires. */
  readonly beta: bigint;
}

export interface OutputMessage extends Header {
  readonly type: "output";
  /** One share per program output. */
  readonly outputs: readonly bigint[];
  /** Verified programs: this provider's share of the check value T (one element); otherwise empty. */
  readonly check: readonly bigint[];
}

export interface AbortMessage extends Header {
  readonly type: "abort";
  /** An error code of the shamir group. */
  readonly code: number;
}

export type Message = DealMessage | DealInputsMessage | RoundMessage | ReadyMessage | ChallengeMessage | OutputMessage | AbortMessage;
export type MessageKind = Message["type"];

type Kind = "tag" | "session" | "party" | "dealer" | "bytes" | "digest" | "elements" | "element" | "round" | "code";

/** Each type's table row name, tag and the kind of each field (by the table's field name). */
const SHAPES = {
  deal: { row: "Deal", tag: ShamirMessageType.Deal, kinds: { from: "party", to: "party", program: "bytes", z: "elements", y: "elements", r: "elements" } },
  "deal-inputs": { row: "DealInputs", tag: ShamirMessageType.DealInputs, kinds: { from: "dealer", to: "party", digest: "digest", z: "elements" } },
  round: { row: "Round", tag: ShamirMessageType.Round, kinds: { from: "party", to: "party", round: "round", z: "elements", y: "elements", random: "elements" } },
  ready: { row: "Ready", tag: ShamirMessageType.Ready, kinds: { from: "party", to: "party" } },
  challenge: { row: "Challenge", tag: ShamirMessageType.Challenge, kinds: { from: "party", to: "party", r: "element", beta: "element" } },
  output: { row: "Output", tag: ShamirMessageType.Output, kinds: { from: "party", to: "party", outputs: "elements", check: "elements" } },
  abort: { row: "Abort", tag: ShamirMessageType.Abort, kinds: { from: "party", to: "party", code: "code" } },
} as const satisfies Record<MessageKind, { row: keyof typeof ShamirKey; tag: number; kinds: Record<string, Kind> }>;

const BY_TAG = new Map<number, MessageKind>((Object.keys(SHAPES) as MessageKind[]).map((k) => [SHAPES[k].tag, k]));

function keysOf(kind: MessageKind): Readonly<Record<string, number>> {
  return ShamirKey[SHAPES[kind].row];
}

function kindOf(kind: MessageKind, field: string): Kind {
  if (field === "type") return "tag";
  if (field === "session") return "session";
  return (SHAPES[kind].kinds as Record<string, Kind>)[field];
}

export function encodeMessage(m: Message): Uint8Array {
  const fields = m as unknown as Record<string, unknown>;
  const entries: [CborValue, CborValue][] = Object.entries(keysOf(m.type)).map(([name, key]) => {
    const v = fields[name];
    let e: CborValue;
    switch (kindOf(m.type, name)) {
      case "tag": e = BigInt(SHAPES[m.type].tag); break;
      case "elements": e = packElements(v as bigint[]); break;
      case "element": e = elementToBytes(v as bigint); break;
      case "session": case "bytes": case "digest": e = v as Uint8Array; break;
      default: e = BigInt(v as number);
    }
    return [BigInt(key), e];
  });
  const bytes = encodeCanonical(new Map(entries) as CborMap);
  if (bytes.length > ShamirLimit.MAX_MESSAGE_BYTES) fail("MESSAGE_TOO_LARGE", `${m.type} message of ${bytes.length} bytes, limit ${ShamirLimit.MAX_MESSAGE_BYTES}`);
  return bytes;
}

function malformed(detail: string): never {
  return fail("MESSAGE_MALFORMED", detail);
}

export function decodeMessage(bytes: Uint8Array): Message {
  if (bytes.length > ShamirLimit.MAX_MESSAGE_BYTES) fail("MESSAGE_TOO_LARGE", `message of ${bytes.length} bytes, limit ${ShamirLimit.MAX_MESSAGE_BYTES}`);
  let v: CborValue;
  try { v = decodeStrict(bytes); } catch (e) {
    if (e instanceof CborError) return malformed(`not deterministic CBOR: ${e.message}`);
    throw e;
  }
  if (!isMap(v)) return malformed("message is not a map");
  const tagValue = v.get(0n);
  if (!isUint(tagValue) || tagValue > 255n) return malformed("type (key 0) is not an unsigned integer ≤ 255");
  const type = BY_TAG.get(Number(tagValue));
  if (!type) return malformed(`unknown message type ${tagValue}`);
  const keys = keysOf(type);
  const expect = Object.values(keys);
  if (v.size !== expect.length || !expect.every((k) => v.has(BigInt(k)))) return malformed(`${type} message must have exactly the keys ${expect.join(", ")}`);
  const out: Record<string, unknown> = { type };
  for (const [name, key] of Object.entries(keys)) {
    if (name === "type") continue;
    const x = v.get(BigInt(key));
    const what = `${name} (key ${key})`;
    const uint = (max: number): number => {
      if (!isUint(x) || x > BigInt(max)) return malformed(`${what} is not an unsigned integer ≤ ${max}`);
      return Number(x);
    };
    const byteString = (): Uint8Array => (isBytes(x) ? x : malformed(`${what} is not a byte string`));
    switch (kindOf(type, name)) {
      case "session": {
        const b = byteString();
        if (b.length !== ShamirLimit.SESSION_ID_BYTES) malformed(`session id of ${b.length} bytes, not ${ShamirLimit.SESSION_ID_BYTES}`);
        out[name] = b;
        break;
      }
      case "party": out[name] = uint(ShamirLimit.MAX_PARTIES); break;
      case "dealer": {
        const d = uint(ShamirLimit.MAX_DEALERS - 1);
        if (d === 0) malformed("DealInputs from dealer 0: the consumer deals with Deal");
        out[name] = d;
        break;
      }
      case "round": out[name] = uint(ShamirLimit.MAX_ROUNDS + 1); break;
      case "code": out[name] = uint(0xffff); break;
      case "bytes": out[name] = byteString(); break;
      case "digest": {
        const b = byteString();
        if (b.length !== ShamirLimit.DIGEST_BYTES) malformed(`digest of ${b.length} bytes, not ${ShamirLimit.DIGEST_BYTES}`);
        out[name] = b;
        break;
      }
      case "elements": out[name] = unpackElements(byteString()); break;
      case "element": {
        const b = byteString();
        if (b.length !== ShamirLimit.FIELD_BYTES) fail("FIELD_ELEMENT_INVALID", `${what} is ${b.length} bytes, not ${ShamirLimit.FIELD_BYTES}`);
        out[name] = elementFromBytes(b);
        break;
      }
      case "tag": break;
    }
  }
  return out as unknown as Message;
}
