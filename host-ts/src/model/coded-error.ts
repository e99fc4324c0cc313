/**
 * The shape every private tier's refusal shares: a code name from one group of
 * spec/private-protocol.json, its number, and a detail. Each tier subclasses it
 * with its own group's names, so an error still says which tier refused.
 */
export class CodedError<Name extends string> extends Error {
  readonly code: number;
  constructor(readonly codeName: Name, detail: string, codes: Readonly<Record<Name, number>>) {
    super(`${codeName}: ${detail}`);
    this.code = codes[codeName];
  }
}
