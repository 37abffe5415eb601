import { loadRgeModel } from "@rge/core";
import { PrefixCache } from "../../packages/core/src/engine/prefix-cache.js";
const m = await loadRgeModel("/tmp/rge-bench/bench-bundle-0.9-kv-new", { batchSize: 16 });
const orig = PrefixCache.prototype.resolve;
PrefixCache.prototype.resolve = async function (items, c) { const r = await orig.call(this, items, c); console.log("items", items.map((i) => i.ids.length), "skip", r?.length); return r; };
const p = await m.preparePrompt({ text: "Query 3: tell me about a cat on a sofa!!!" }, { role: "query" });
console.log(JSON.stringify(p.text));
await m.embedQuery({ text: "Query 3: tell me about a cat on a sofa!!!" }, { maxNewTokens: 3 });
await m.dispose();
