import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { dot, loadRgeModel, type LoadRgeModelOptions, type RgeInput } from "@rge/core";
import { demoBadgeQuestion, demoHeldout } from "@rge/example-demo-model";
import sharp from "sharp";

const assets = join(dirname(fileURLToPath(import.meta.url)), "..", "assets");

/** Renders one of the demo's SVG drawings to PNG bytes (no binary files in the repo). */
async function picture(name: string): Promise<Uint8Array> {
  return new Uint8Array(await sharp(readFileSync(join(assets, `${name}.svg`))).png().toBuffer());
}

export interface DemoDocument {
  label: string;
  input: RgeInput;
}

export interface DemoResult {
  query: string;
  rationale: string;
  stoppedBy: string;
  generatedTokens: number;
  ranking: { label: string; score: number }[];
}

/** What the demo ranks: documents (embedded as RGE targets) and queries (embedded with reasoning). */
export interface DemoCorpus {
  documents(): Promise<DemoDocument[]>;
  queries(): Promise<{ label: string; input: RgeInput }[]>;
}

/** The demo corpus for a general RGE model: text passages and pictures, embedded as RGE targets. */
export async function demoDocuments(): Promise<DemoDocument[]> {
  return [
    { label: "text: apples", input: { text: "Apples are round fruits, usually red or green, that grow on trees." } },
    { label: "text: stars", input: { text: "On a clear night the moon and the stars light up the dark sky." } },
    { label: "text: sales report", input: { text: "Quarterly sales rose in every region, led by the third quarter." } },
    { label: "image: red-apple.svg", input: { image: await picture("red-apple") } },
    { label: "image: night-sky.svg", input: { image: await picture("night-sky") } },
    { label: "image: bar-chart.svg", input: { image: await picture("bar-chart") } },
  ];
}

export async function demoQueries(): Promise<{ label: string; input: RgeInput }[]> {
  return [
    { label: "What fruit is this? [red-apple.svg]", input: { text: "What fruit is this?", image: await picture("red-apple") } },
    { label: "Which bar is the tallest? [bar-chart.svg]", input: { text: "Which bar is the tallest?", image: await picture("bar-chart") } },
    { label: "a picture of the moon at night", input: { text: "a picture of the moon at night" } },
  ];
}

/** Text passages and pictures, with questions about them: for the released model or any general RGE bundle. */
export const MIXED_CORPUS: DemoCorpus = { documents: demoDocuments, queries: demoQueries };

/**
 * For the demo model (a tiny RGE that answers questions about 200 made-up people, each with a badge): every person
 * as a document, the first held-out two-hop questions of its training run (each fact they need was trained, never
 * the chain), and a held-out question about a badge (who is on it and each fact were trained, never that question).
 */
export const DEMO_MODEL_CORPUS: DemoCorpus = {
  documents: async () => demoHeldout().candidates.map((answer) => ({ label: answer, input: { text: answer } })),
  queries: async () => {
    const badge = demoBadgeQuestion();
    return [
      ...demoHeldout().queries.slice(0, 2).map((q) => ({ label: q.text, input: { text: q.text } })),
      { label: `${badge.text} [${badge.image}]`, input: { text: badge.text, image: badge.imagePath } },
    ];
  },
};

/**
 * Embeds the demo queries with reasoning, the documents without, and ranks the documents for each query
 * by cosine similarity.
 */
export async function runDemo(bundleDir: string, options: LoadRgeModelOptions = {}, corpus: DemoCorpus = MIXED_CORPUS): Promise<DemoResult[]> {
  const model = await loadRgeModel(bundleDir, options);
  try {
    const documents = await corpus.documents();
    const queries = await corpus.queries();
    const docEmbeddings = await model.embedTargets(documents.map((d) => d.input));
    const queryEmbeddings = await model.embedQueries(queries.map((q) => q.input));
    return queries.map((q, i) => {
      const e = queryEmbeddings[i]!;
      const ranking = documents
        .map((d, j) => ({ label: d.label, score: dot(e.embedding, docEmbeddings[j]!.embedding) }))
        .sort((a, b) => b.score - a.score);
      return { query: q.label, rationale: e.rationale, stoppedBy: e.stoppedBy, generatedTokens: e.tokens.generated, ranking };
    });
  } finally {
    await model.dispose();
  }
}

/** The results as text: each query, its rationale, and the first `top` documents (default all) with their scores. */
export function formatDemo(results: DemoResult[], top = Infinity): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`\nQuery: ${r.query}`);
    lines.push(`  rationale (${r.generatedTokens} tokens, stopped by ${r.stoppedBy}): ${JSON.stringify(r.rationale)}`);
    r.ranking.slice(0, top).forEach((d, k) => lines.push(`  ${k + 1}. ${d.score.toFixed(4)}  ${d.label}`));
    if (r.ranking.length > top) lines.push(`  … ${r.ranking.length - top} more`);
  }
  return lines.join("\n");
}
