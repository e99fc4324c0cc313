/** JUnit XML for CI systems: one testsuite per board, one testcase per vector. */
import type { VectorOutcome } from "../vectors/run.ts";

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!)
  // XML 1.0 forbids most control characters even when escaped.
  .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");

export interface SuiteReport {
  board: string;
  outcomes: VectorOutcome[];
  seconds: number;
}

export function junitXml(suites: SuiteReport[]): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const total = suites.reduce((n, s) => n + s.outcomes.length, 0);
  const failures = suites.reduce((n, s) => n + s.outcomes.filter((o) => !o.passed && !o.engineError).length, 0);
  const errors = suites.reduce((n, s) => n + s.outcomes.filter((o) => o.engineError).length, 0);
  lines.push(`<testsuites name="mhr conform" tests="${total}" failures="${failures}" errors="${errors}">`);
  for (const s of suites) {
    const f = s.outcomes.filter((o) => !o.passed && !o.engineError).length;
    const e = s.outcomes.filter((o) => o.engineError).length;
    lines.push(`  <testsuite name="${esc(s.board)}" tests="${s.outcomes.length}" failures="${f}" errors="${e}" time="${s.seconds.toFixed(3)}">`);
    for (const o of s.outcomes) {
      const cls = `${s.board}.${o.vector.name.split("/")[0]}`;
      const open = `    <testcase classname="${esc(cls)}" name="${esc(o.vector.name)}" time="${(o.ms / 1000).toFixed(4)}"`;
      if (o.passed) { lines.push(open + "/>"); continue; }
      lines.push(open + ">");
      if (o.engineError) lines.push(`      <error message="${esc(o.engineError)}"/>`);
      else {
        const detail = o.diffs.map((d) => `${d.field}: expected ${d.expected} actual ${d.actual}`).join("\n");
        lines.push(`      <failure message="${esc(o.diffs.map((d) => d.field).join(", ") + " differ")}">${esc(detail)}</failure>`);
      }
      lines.push("    </testcase>");
    }
    lines.push("  </testsuite>");
  }
  lines.push("</testsuites>");
  return lines.join("\n") + "\n";
}
