/** Every `mhr` command's --help ends with examples, and `mhr --help` opens with a tour of the main ones. */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerAll } from "../src/cli/commands/index.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function helpOf(cmd: Command): string {
  let out = "";
  cmd.configureOutput({ writeOut: (s) => { out += s; }, writeErr: (s) => { out += s; } });
  cmd.outputHelp();
  return out;
}

function all(cmd: Command, path: string[] = []): [string, Command][] {
  return cmd.commands.flatMap((c) => [[[...path, c.name()].join(" "), c] as [string, Command], ...all(c, [...path, c.name()])]);
}

describe("mhr help", () => {
  it("each command's help shows an example of itself", () => {
    const program = new Command("mhr");
    registerAll(program);
    const commands = all(program);
    expect(commands.length).toBeGreaterThan(15);
    for (const [name, cmd] of commands) {
      const help = helpOf(cmd);
      expect(help, name).toMatch(/\nExamples:\n/);
      expect(help.slice(help.indexOf("Examples:")), name).toContain(`$ mhr ${name}`);
    }
  });

  it("mhr --help lists the commands and examples", async () => {
    const out = await new Promise<string>((resolve, reject) => execFile(process.execPath, [join(ROOT, "bin/mhr.mjs"), "--help"], { cwd: ROOT }, (e, stdout) => (e ? reject(e) : resolve(stdout))));
    expect(out).toMatch(/Usage: mhr/);
    expect(out).toMatch(/Examples:\n\s+\$ mhr asm /);
    expect(out).toMatch(/\$ mhr conform --board qemu-rv32/);
  }, 60_000);
});
