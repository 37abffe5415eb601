#!/usr/bin/env node
/**
 * The `rge` command line: `rge convert` makes a bundle from a Hugging Face checkpoint; `rge edit-decoder`
 * makes an existing Qwen2.5-VL decoder export RGE-ready.
 */
import { RgeError } from "../errors.js";
import { CONVERT_USAGE, convertCommand } from "./convert-command.js";
import { EDIT_DECODER_USAGE, editDecoderCommand } from "./edit-decoder-command.js";
import { UsageError } from "./usage-error.js";

const indent = (text: string) => text.split("\n").join("\n  ");
const USAGE = `Usage:\n  ${indent(CONVERT_USAGE)}\n\n  ${indent(EDIT_DECODER_USAGE)}`;

const commands: Record<string, (argv: string[]) => Promise<void>> = { convert: convertCommand, "edit-decoder": editDecoderCommand };

/** Runs the CLI with the given arguments; resolves to the process exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`rge: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    await command(rest);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      return 2;
    }
    if (error instanceof RgeError) {
      console.error(`rge ${name}: ${error.message} [${error.code}]`);
      return 1;
    }
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      console.error(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

void runCli(process.argv.slice(2)).then((code) => (process.exitCode = code));
