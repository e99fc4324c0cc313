/**
 * A SecretShared provider as one request → one reply, for linear programs
 * (no multiplication round, so no provider-to-provider message): the DEAL
 * comes in, the provider's OUTPUT (or an ABORT with the reason) goes back to
 * the consumer. This is the shareholder side of Split + SecretShared; a node
 * mounts it as the handler of one request/response protocol.
 *
 * Each DEAL is its own session (a fresh shamir Provider at the index the DEAL
 * names); nothing is kept between requests, so the handler needs no state and
 * a replayed DEAL only recomputes the same output shares.
 *
 * With `agreed`, only programs with one of those digests run (the first layer
 * of the agreed model: `agreedFirstLayerDigests`); a shareholder then computes
 * nothing it did not agree to. Without it, any linear program is run.
 */
import { blake3 } from "@noble/hashes/blake3.js";
import { ShamirLimit } from "../../generated/private-protocol.ts";
import { bytesToHex, equalBytes } from "../../model/bytes.ts";
import { analyseEncoded, type Analysis } from "../shamir/program.ts";
import { CONSUMER, Provider, ShamirCode, ShamirError, decodeMessage, encodeMessage, type RandomSource } from "../shamir/index.ts";
import { CombinedError, combinedFail } from "./errors.ts";

export interface ShareholderHandlerOptions {
  /** Program digests (Blake3-256 of the program bytes) this shareholder runs; any linear program when absent. */
  readonly agreed?: readonly Uint8Array[];
  /** Randomness of the provider (unused by linear programs; for tests). */
  readonly rng?: RandomSource;
  /** Program analyses kept by digest, so a model's layer is decoded once, not per DEAL (default 4). */
  readonly cachedPrograms?: number;
}

/** DEAL bytes in, OUTPUT or ABORT bytes out (addressed to the consumer); never throws. */
export type ShareholderHandler = (deal: Uint8Array) => Promise<Uint8Array>;

export function shareholderHandler(opts: ShareholderHandlerOptions = {}): ShareholderHandler {
  const cache = new Map<string, Analysis>();
  const limit = opts.cachedPrograms ?? 4;
  const analyseProgram = (program: Uint8Array): Analysis => {
    const key = bytesToHex(blake3(program));
    const hit = cache.get(key);
    if (hit) return hit;
    const a = analyseEncoded(program);
    if (limit > 0) {
      if (cache.size >= limit) cache.delete(cache.keys().next().value as string);
      cache.set(key, a);
    }
    return a;
  };
  return async (bytes) => {
    let session: Uint8Array = new Uint8Array(ShamirLimit.SESSION_ID_BYTES), index = 1;
    try {
      const m = decodeMessage(bytes);
      session = m.session;
      if (m.type !== "deal" || m.from !== CONSUMER) combinedFail("COMBINED_NOT_A_DEAL", `a shareholder handler takes a DEAL from the consumer, not a ${m.type} from party ${m.from}`);
      if (m.to >= 1 && m.to <= ShamirLimit.MAX_PARTIES) index = m.to;
      if (opts.agreed) {
        const digest = blake3(m.program);
        if (!opts.agreed.some((d) => equalBytes(d, digest))) combinedFail("COMBINED_PROGRAM_NOT_AGREED", "the DEAL's program is not one this shareholder agreed to run");
      }
      // A linear program with the consumer as its only dealer is answered by exactly one OUTPUT;
      // anything else (ROUNDs to peers, waiting for another dealer) cannot run over one request.
      const out = new Provider({ index, session, rng: opts.rng, analyseProgram }).receive(bytes);
      if (out.length !== 1 || out[0].to !== CONSUMER) combinedFail("COMBINED_PROGRAM_NOT_LINEAR", "the program needs rounds between providers or another dealer; a request/reply shareholder runs linear programs of the consumer's inputs only");
      return out[0].bytes;
    } catch (e) {
      const code = e instanceof ShamirError || e instanceof CombinedError ? e.code : ShamirCode.MESSAGE_MALFORMED;
      return encodeMessage({ type: "abort", session, from: index, to: CONSUMER, code });
    }
  };
}

