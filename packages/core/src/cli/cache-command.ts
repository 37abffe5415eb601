import { parseArgs } from "node:util";
import { listCache, removeFromCache } from "../hub/cache-admin.js";
import { defaultBundleCacheDir } from "../hub/bundle-cache.js";
import { defaultHubCacheDir } from "../hub/hub-cache.js";
import { UsageError } from "./usage-error.js";

export const CACHE_USAGE = `rge cache ls [--json] [--cache-dir DIR] [--hub-cache-dir DIR]
rge cache rm <org/name> [--dtype DTYPE] [--revision REV] [--checkpoint] [--cache-dir DIR] [--hub-cache-dir DIR]

ls lists converted bundles (RGE cache) and Qwen2.5-VL checkpoints (Hugging Face cache). rm removes a repo's bundles
(only one dtype or revision if given); --checkpoint also removes its checkpoint files from the Hugging Face cache.`;

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;

export async function cacheCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean" },
      dtype: { type: "string" },
      revision: { type: "string" },
      checkpoint: { type: "boolean" },
      "cache-dir": { type: "string" },
      "hub-cache-dir": { type: "string" },
    },
  });
  const [action, repo, extra] = positionals;
  const locations = {
    cacheDir: values["cache-dir"] ?? defaultBundleCacheDir(),
    hubCacheDir: values["hub-cache-dir"] ?? defaultHubCacheDir(),
  };
  if (action === "ls" && !repo) {
    const listing = listCache(locations);
    if (values.json) return void console.log(JSON.stringify(listing, null, 2));
    console.log(`Bundles in ${locations.cacheDir}:`);
    if (listing.bundles.length === 0) console.log("  (none)");
    for (const b of listing.bundles) {
      console.log(`  ${b.repo.padEnd(32)} ${b.commit.slice(0, 12)} ${b.dtype.padEnd(5)} ${gb(b.bytes).padStart(10)}  ${b.refs.join(", ")}`);
    }
    console.log(`Checkpoints in ${locations.hubCacheDir}:`);
    if (listing.checkpoints.length === 0) console.log("  (none)");
    for (const c of listing.checkpoints) {
      console.log(`  ${c.repo.padEnd(32)} ${c.commit.slice(0, 12)}       ${gb(c.bytes).padStart(10)}  ${c.refs.join(", ")}`);
    }
    return;
  }
  if (action === "rm" && repo && !extra) {
    const { removed, bytes } = removeFromCache(repo, {
      ...locations,
      ...(values.dtype ? { dtype: values.dtype } : {}),
      ...(values.revision ? { revision: values.revision } : {}),
      ...(values.checkpoint ? { checkpoint: true } : {}),
    });
    if (removed.length === 0) return void console.log(`Nothing cached for ${repo} matched.`);
    for (const dir of removed) console.log(`removed ${dir}`);
    console.log(`freed ${gb(bytes)}`);
    return;
  }
  throw new UsageError(CACHE_USAGE);
}
