import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export const SERVE_USAGE = `rge serve <bundle-dir | org/name> [--host 127.0.0.1] [--port 8080] [...]

Serves the model over HTTP with the OpenAI-compatible /v1/embeddings: the same command as \`rge-serve\` from
@rge/server, which must be installed beside @rge/core (npm i @rge/server). \`rge serve --help\` lists its options.`;

/** What @rge/server's `./cli` entry exports. */
interface ServeEntry {
  runServe(argv: string[]): Promise<number>;
}

/**
 * `rge serve`: the server is its own package, over core's public API, so core cannot depend on it. It is looked up
 * where the user installed it: from the current project first (what `npx rge serve` sees), then beside core.
 */
export async function serveCommand(argv: string[]): Promise<number> {
  const entry = resolveServer();
  if (!entry) {
    console.error(`rge serve: @rge/server is not installed. Install it beside @rge/core (npm i @rge/server), then run \`rge serve\` or \`npx rge-serve\`.`);
    return 1;
  }
  const { runServe } = (await import(pathToFileURL(entry).href)) as ServeEntry;
  return runServe(argv);
}

function resolveServer(): string | undefined {
  for (const from of [join(process.cwd(), "package.json"), import.meta.url]) {
    try {
      return createRequire(from).resolve("@rge/server/cli");
    } catch {
      // not installed there
    }
  }
  return undefined;
}
