/**
 * Tier 2 — SecretShared (docs/PRIVATE.md): Shamir sharing over GF(2^127 − 1),
 * BGW multiplication in one round, MAC-checked, as explicit messages between
 * a consumer, n providers and optional other dealers. No network here: the
 * node carries the encoded messages.
 */
export { ShamirError, ShamirCode, codeName, type ShamirErrorName } from "./errors.ts";
export { P, F, HALF, cryptoRandom, sampleBelow, randomElement, fromSigned, toSigned, type RandomSource } from "./field.ts";
export { scheme, share, reconstruct, consistent, type Scheme } from "./sharing.ts";
export { encodeFixed, decodeFixed, fraction, fractionToNumber, fractionEquals, type Fraction } from "./fixed-point.ts";
export { analyse, encodeProgram, decodeProgram, type Program, type Op, type Analysis, type RoundPlan } from "./program.ts";
export { encodeMessage, decodeMessage, CONSUMER, type Message, type DealMessage, type RoundMessage, type ReadyMessage, type ChallengeMessage, type OutputMessage, type AbortMessage } from "./messages.ts";
export { Provider, type ProviderOptions, type ProviderPhase, type Outgoing } from "./provider.ts";
export { Consumer, dealInputs, newSessionId, type ConsumerOptions, type ConsumerOutcome, type DealerOptions } from "./consumer.ts";
export { ProgramBuilder, encodeInputs, decodeOutputs, type BuiltProgram, type BuilderOptions, type Secret, type SecretFixed, type SecretField, type InputSpec, type OutputSpec, type Decoded, type InputValue } from "./builder.ts";
export { columnStats, dotProduct, linearScore, membership, linearLayer, type ListSource } from "./workloads.ts";
export { selectShareholders, neighbourhoodOf, type ShareholderCandidate, type SelectOptions, type Selection } from "./select.ts";
export { runLocalSession, messageHeader, type LocalSessionOptions, type LocalSessionResult, type Traffic } from "./local-network.ts";
