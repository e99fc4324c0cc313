/**
 * Parsers for numeric options, given to commander so that a bad value is a
 * one-line usage error (exit 2) before anything runs: never a NaN that
 * silently drops a limit, never a TypeError later on.
 */
import { InvalidArgumentError, type Command } from "commander";

function whole(value: string): number | undefined {
  const t = value.trim();
  if (!/^[+-]?\d+$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** An integer in [min, max]. */
export function intIn(min: number, max: number = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    const n = whole(value);
    if (n === undefined || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `must be an integer ≥ ${min}` : `must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

export const positiveInt = intIn(1);
export const nonNegativeInt = intIn(0);

/** Any safe integer (seeds). */
export function anyInt(value: string): number {
  const n = whole(value);
  if (n === undefined) throw new InvalidArgumentError("must be an integer");
  return n;
}

/** A finite number ≥ min. */
export function numberAtLeast(min: number): (value: string) => number {
  return (value: string) => {
    const n = value.trim() === "" ? NaN : Number(value);
    if (!Number.isFinite(n) || n < min) throw new InvalidArgumentError(`must be a number ≥ ${min}`);
    return n;
  };
}

export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Adds an "Examples" block to a command's --help. */
export function examples(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText("after", `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`);
}
