#!/usr/bin/env node
/**
 * The `rge` command line: `rge pull` downloads and converts a hub model into the cache, `rge cache` lists and
 * removes what is cached, `rge convert` makes a bundle from a Hugging Face checkpoint, `rge edit-decoder` makes an
 * existing Qwen2.5-VL decoder export RGE-ready, `rge serve` runs @rge/server's `rge-serve` when it is installed.
 */
import { RgeError } from "../errors.js";
import { CACHE_USAGE, cacheCommand } from "./cache-command.js";
import { CONVERT_USAGE, convertCommand } from "./convert-command.js";
import { PULL_USAGE, pullCommand } from "./pull-command.js";
import { EDIT_DECODER_USAGE, editDecoderCommand } from "./edit-decoder-command.js";
import { SERVE_USAGE, serveCommand } from "./serve-command.js";
import { UsageError } from "./usage-error.js";

const indent = (text: string) => text.split("\n").join("\n  ");
const USAGE = `Usage:\n  ${[PULL_USAGE, CACHE_USAGE, CONVERT_USAGE, SERVE_USAGE, EDIT_DECODER_USAGE].map(indent).join("\n\n  ")}`;

/** A command resolves to its exit code, or to nothing for 0. */
const commands: Record<string, (argv: string[]) => Promise<void | number>> = {
  pull: pullCommand,
  cache: cacheCommand,
  convert: convertCommand,
  serve: serveCommand,
  "edit-decoder": editDecoderCommand,
};

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
    return (await command(rest)) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      return 2;
    }
    if (error instanceof RgeError) {
      console.error(`rge ${name}: ${error.message} [${error.code}]`);
      return error.code === "RGE_ABORTED" ? 130 : 1;
    }
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS_")) {
      console.error(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

void runCli(process.argv.slice(2)).then((code) => (process.exitCode = code));
