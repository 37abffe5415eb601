/**
 * Child process of image-memory.test.ts: loads the bundle in argv[2], embeds the image files after it as
 * targets in one call, and prints the process's peak RSS (bytes) before and after as JSON on the last line.
 * Run in its own process so that `maxRSS` measures this call alone.
 */
import { loadRgeModel } from "../rge-model.js";

const [bundleDir, ...images] = process.argv.slice(2);
const model = await loadRgeModel(bundleDir!, { cacheSize: 0, onWarning: () => {} });
await model.embedTarget({ text: "warm-up" });
const before = process.resourceUsage().maxRSS * 1024;
const results = await model.embedTargetsSettled(images.map((image) => ({ image })));
const after = process.resourceUsage().maxRSS * 1024;
await model.dispose();
const failures = results.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : []));
console.log(JSON.stringify({ before, after, embedded: results.length - failures.length, failures }));
