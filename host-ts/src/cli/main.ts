import { Command, CommanderError } from "commander";
import { UserError } from "../model/errors.ts";
import { registerAll } from "./commands/index.ts";
import { examples } from "./options.ts";

const program = new Command();
program
  .name("mhr")
  .description("MHR-Compute: MHR-Byte assembler, engines, conformance vectors and board tools")
  .showHelpAfterError(false)
  .exitOverride();

registerAll(program);
examples(program,
  "mhr asm examples/contracts/naming.masm                  # assemble a contract",
  "mhr run examples/contracts/naming.masm --fn register --input text:maryam --sender 000102030405060708090a0b0c0d0e0f",
  "mhr vectors check --engine as                           # every conformance vector on one engine",
  "mhr conform --board qemu-rv32                           # conformance on a virtual ESP32-C3 stand-in",
  "mhr calibrate --board qemu-rv32                         # cost calibration, HTML report",
);
program.addHelpText("after", "Each command's --help lists its options and examples (e.g. `mhr conform --help`).\n");

function oneLine(message: string): string {
  return message.replace(/\s+/g, " ").trim();
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") {
      process.exit(0);
    }
    // commander already printed its own one-line message to stderr.
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  if (process.env.MHR_DEBUG) console.error(err);
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`mhr: error: ${oneLine(message)}\n`);
  process.exit(err instanceof UserError ? err.exitCode : 1);
}
