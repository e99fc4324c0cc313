/**
 * The messages of the SecretShared protocol: typed values and their
 * deterministic CBOR (docs/PRIVATE.md, "Messages"). Each is a map with small
 * unsigned keys and exactly the keys of its type; vectors of field elements
 * are one byte string of 16-byte big-endian elements; key 0 is the type tag
 * of spec/private-protocol.json. Party 0 is the consumer, 1..n the providers.
 */
import { encodeCanonical, decodeStrict, isUint, isBytes, isMap, CborError, type CborValue, type CborMap } from "../../model/cbor.ts";
import { ShamirConst, ShamirLimit, ShamirMessage } from "../../generated/private-protocol.ts";
import { fail } from "./errors.ts";
import { packElements, unpackElements, elementToBytes, elementFromBytes } from "./field.ts";

export const CONSUMER = 0;

export interface DealMessage {
  readonly type: "deal";
  readonly session: Uint8Array;
  /** 0: the consumer (sends the program, MAC key share and MAC shares); ≥ 1: another dealer (sends the program digest). */
  readonly dealer: number;
  readonly to: number;
  /** Dealer 0: the program's canonical CBOR. */
  readonly program?: Uint8Array;
  /** Dealers ≥ 1: Blake3-256 of the program. */
  readonly digest?: Uint8Array;
  /** One share per input of this dealer. */
  readonly z: readonly bigint[];
  /** Dealer 0 of a verified program: the shares of r·x for each input; otherwise empty. */
  readonly y: readonly bigint[];
  /** Dealer 0 of a verified program: the share of the MAC key r; otherwise empty. */
  readonly r: readonly bigint[];
}

export interface RoundMessage {
  readonly type: "round";
  readonly session: Uint8Array;
  readonly from: number;
  readonly to: number;
  readonly round: number;
  /** One reshare per mul of the round, in wire order. */
  readonly z: readonly bigint[];
  /** One reshare per mul and auth of the round (their MAC shares), in wire order. */
  readonly y: readonly bigint[];
  /** Round 1: one share of this sender's contribution per random op; otherwise empty. */
  readonly random: readonly bigint[];
}

export interface ReadyMessage { readonly type: "ready"; readonly session: Uint8Array; readonly from: number; readonly to: number }

export interface ChallengeMessage {
  readonly type: "challenge";
  readonly session: Uint8Array;
  readonly from: number;
  readonly to: number;
  /** The MAC key, revealed after every round is over. */
  readonly r: bigint;
  /** The check weights are β, β², β³, … over the checked wires. */
  readonly beta: bigint;
}

export interface OutputMessage {
  readonly type: "output";
  readonly session: Uint8Array;
  readonly from: number;
  readonly to: number;
  /** One share per program output. */
  readonly outputs: readonly bigint[];
  /** Verified programs: this provider's share of the check value T (one element); otherwise empty. */
  readonly check: readonly bigint[];
}

export interface AbortMessage {
  readonly type: "abort";
  readonly session: Uint8Array;
  readonly from: number;
  readonly to: number;
  /** An error code of the shamir group. */
  readonly code: number;
}

export type Message = DealMessage | RoundMessage | ReadyMessage | ChallengeMessage | OutputMessage | AbortMessage;

const TAG = { deal: ShamirMessage.DEAL, round: ShamirMessage.ROUND, ready: ShamirMessage.READY, challenge: ShamirMessage.CHALLENGE, output: ShamirMessage.OUTPUT, abort: ShamirMessage.ABORT } as const;

const u = (n: number) => BigInt(n);
const el = (e: bigint) => elementToBytes(e);

export function encodeMessage(m: Message): Uint8Array {
  const e: [number, CborValue][] = [[0, u(TAG[m.type])], [1, m.session]];
  switch (m.type) {
    case "deal":
      e.push([2, u(m.dealer)], [3, u(m.to)], [5, packElements(m.z)]);
      if (m.dealer === 0) e.push([4, m.program!], [6, packElements(m.y)], [7, packElements(m.r)]);
      else e.push([8, m.digest!]);
      break;
    case "round": e.push([2, u(m.from)], [3, u(m.to)], [4, u(m.round)], [5, packElements(m.z)], [6, packElements(m.y)], [7, packElements(m.random)]); break;
    case "ready": e.push([2, u(m.from)], [3, u(m.to)]); break;
    case "challenge": e.push([2, u(m.from)], [3, u(m.to)], [4, el(m.r)], [5, el(m.beta)]); break;
    case "output": e.push([2, u(m.from)], [3, u(m.to)], [4, packElements(m.outputs)], [5, packElements(m.check)]); break;
    case "abort": e.push([2, u(m.from)], [3, u(m.to)], [4, u(m.code)]); break;
  }
  const bytes = encodeCanonical(new Map(e.map(([k, v]) => [u(k), v])) as CborMap);
  if (bytes.length > ShamirLimit.MAX_MESSAGE_BYTES) fail("MESSAGE_TOO_LARGE", `${m.type} message of ${bytes.length} bytes, limit ${ShamirLimit.MAX_MESSAGE_BYTES}`);
  return bytes;
}

const KEYS: Record<string, readonly number[]> = {
  deal0: [0, 1, 2, 3, 4, 5, 6, 7],
  dealN: [0, 1, 2, 3, 5, 8],
  round: [0, 1, 2, 3, 4, 5, 6, 7],
  ready: [0, 1, 2, 3],
  challenge: [0, 1, 2, 3, 4, 5],
  output: [0, 1, 2, 3, 4, 5],
  abort: [0, 1, 2, 3, 4],
};

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
  const get = (k: number) => v.get(u(k));
  const uint = (k: number, max: number, what: string): number => {
    const x = get(k);
    if (!isUint(x) || x > u(max)) return malformed(`${what} (key ${k}) is not an unsigned integer ≤ ${max}`);
    return Number(x);
  };
  const bytesAt = (k: number, what: string): Uint8Array => {
    const x = get(k);
    if (!isBytes(x)) return malformed(`${what} (key ${k}) is not a byte string`);
    return x;
  };
  const vec = (k: number, what: string) => unpackElements(bytesAt(k, what));
  const one = (k: number, what: string) => {
    const b = bytesAt(k, what);
    if (b.length !== ShamirConst.FIELD_BYTES) fail("FIELD_ELEMENT_INVALID", `${what} is ${b.length} bytes, not ${ShamirConst.FIELD_BYTES}`);
    return elementFromBytes(b);
  };
  const tag = uint(0, 255, "type");
  const type = (Object.keys(TAG) as Message["type"][]).find((k) => TAG[k] === tag);
  if (!type) return malformed(`unknown message type ${tag}`);
  const dealer = type === "deal" ? uint(2, ShamirLimit.MAX_DEALERS - 1, "dealer") : -1;
  const expect = KEYS[type === "deal" ? (dealer === 0 ? "deal0" : "dealN") : type];
  const keys = [...v.keys()];
  if (keys.length !== expect.length || !expect.every((k) => v.has(u(k)))) return malformed(`${type} message must have exactly the keys ${expect.join(", ")}`);
  const session = bytesAt(1, "session");
  if (session.length !== ShamirConst.SESSION_ID_BYTES) return malformed(`session id of ${session.length} bytes, not ${ShamirConst.SESSION_ID_BYTES}`);
  const party = (k: number, what: string) => uint(k, ShamirLimit.MAX_PARTIES, what);
  switch (type) {
    case "deal": {
      const base = { type, session, dealer, to: party(3, "to"), z: vec(5, "z") };
      if (dealer === 0) return { ...base, program: bytesAt(4, "program"), y: vec(6, "y"), r: vec(7, "r") };
      const digest = bytesAt(8, "digest");
      if (digest.length !== ShamirConst.DIGEST_BYTES) return malformed(`digest of ${digest.length} bytes`);
      return { ...base, digest, y: [], r: [] };
    }
    case "round":
      return { type, session, from: party(2, "from"), to: party(3, "to"), round: uint(4, ShamirLimit.MAX_ROUNDS + 1, "round"), z: vec(5, "z"), y: vec(6, "y"), random: vec(7, "random") };
    case "ready": return { type, session, from: party(2, "from"), to: party(3, "to") };
    case "challenge": return { type, session, from: party(2, "from"), to: party(3, "to"), r: one(4, "r"), beta: one(5, "beta") };
    case "output": return { type, session, from: party(2, "from"), to: party(3, "to"), outputs: vec(4, "outputs"), check: vec(5, "check") };
    case "abort": return { type, session, from: party(2, "from"), to: party(3, "to"), code: uint(4, 0xffff, "code") };
  }
}
