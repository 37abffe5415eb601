import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { LoadRgeModelOptions } from "@rge/core";
import { demoHeldout } from "@rge/example-demo-model";
import { RATIONALE_METADATA_KEYS, RgeLlamaEmbedding, RgeLlamaRetriever } from "@rge/llamaindex";
import {
  Document,
  ImageDocument,
  ModalityType,
  Settings,
  SimpleVectorStore,
  storageContextFromDefaults,
  VectorStoreIndex,
  type MessageContent,
} from "llamaindex";

const assets = join(dirname(fileURLToPath(import.meta.url)), "..", "assets");
const picture = (name: string) => join(assets, `${name}.svg`);
// The label is for display only: keep it out of what is embedded and what an LLM would see.
const labelled = { excludedEmbedMetadataKeys: ["label"], excludedLlmMetadataKeys: ["label"] };

/** The corpus: text passages and pictures (image documents given by file path). */
export function exampleDocuments(): Document[] {
  return [
    new Document({ text: "A small boat with white sails crosses the calm blue sea.", metadata: { label: "text: sailing" }, ...labelled }),
    new Document({ text: "The sun sets behind green hills and the sky turns orange.", metadata: { label: "text: sunset" }, ...labelled }),
    new Document({ text: "The pie chart shows each product's share of total revenue.", metadata: { label: "text: revenue" }, ...labelled }),
    new ImageDocument({ image: picture("sailboat"), metadata: { label: "image: sailboat.svg" }, ...labelled }),
    new ImageDocument({ image: picture("sunset"), metadata: { label: "image: sunset.svg" }, ...labelled }),
    new ImageDocument({ image: picture("pie-chart"), metadata: { label: "image: pie-chart.svg" }, ...labelled }),
  ];
}

/** Queries: text with an image (embedded jointly, after one rationale), and text alone. */
export function exampleQueries(): { label: string; query: MessageContent }[] {
  const image = (name: string) => ({ type: "image_url" as const, image_url: { url: pathToFileURL(picture(name)).href } });
  return [
    { label: "What is this boat doing? [sailboat.svg]", query: [{ type: "text", text: "What is this boat doing?" }, image("sailboat")] },
    { label: "Which slice is the largest? [pie-chart.svg]", query: [{ type: "text", text: "Which slice is the largest?" }, image("pie-chart")] },
    { label: "an evening landscape", query: "an evening landscape" },
  ];
}

/** For the demo model (a tiny RGE that answers questions about 200 made-up people): one document per person. */
export function demoModelDocuments(): Document[] {
  return demoHeldout().candidates.map((name) => new Document({ text: name, metadata: { label: `text: ${name}` }, ...labelled }));
}

/** The first held-out questions of the demo model's training run (each fact was trained, never the chain). */
export function demoModelQueries(): { label: string; query: MessageContent }[] {
  return demoHeldout().queries.slice(0, 3).map((q) => ({ label: q.text, query: q.text }));
}

/** What the example indexes and asks. */
export interface ExampleCorpus {
  documents: Document[];
  queries: { label: string; query: MessageContent }[];
  /** How many hits to show per query. Default: every document. */
  topK?: number;
}

export interface ExampleResult {
  query: string;
  rationale: string;
  stoppedBy: string;
  hits: { label: string; type: string; score: number }[];
}

/**
 * Builds a `VectorStoreIndex` over the corpus with RGE as LlamaIndex's embedding model (text and image
 * vector stores) and retrieves with `RgeLlamaRetriever`, which ranks text and image nodes together.
 */
export async function runLlamaIndexExample(
  bundleDir: string,
  options: LoadRgeModelOptions = {},
  corpus: ExampleCorpus = { documents: exampleDocuments(), queries: exampleQueries() },
): Promise<ExampleResult[]> {
  const embedding = await RgeLlamaEmbedding.load(bundleDir, options);
  try {
    Settings.embedModel = embedding;
    // LlamaIndex's default storage has a text store only; image documents need an image store.
    const storageContext = await storageContextFromDefaults({
      vectorStores: {
        [ModalityType.TEXT]: new SimpleVectorStore({ embedModel: embedding }),
        [ModalityType.IMAGE]: new SimpleVectorStore({ embedModel: embedding }),
      },
    });
    const index = await VectorStoreIndex.fromDocuments(corpus.documents, { storageContext });
    const retriever = new RgeLlamaRetriever({ index, similarityTopK: corpus.topK ?? corpus.documents.length });
    const results: ExampleResult[] = [];
    for (const { label, query } of corpus.queries) {
      const hits = await retriever.retrieve({ query });
      const first = hits[0]?.node.metadata ?? {};
      results.push({
        query: label,
        rationale: String(first[RATIONALE_METADATA_KEYS.rationale] ?? ""),
        stoppedBy: String(first[RATIONALE_METADATA_KEYS.stoppedBy] ?? ""),
        hits: hits.map(({ node, score }) => ({ label: String(node.metadata.label), type: node.type, score: score ?? 0 })),
      });
    }
    return results;
  } finally {
    await embedding.dispose();
  }
}

export function formatExample(results: ExampleResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`\nQuery: ${r.query}`);
    lines.push(`  rationale (stopped by ${r.stoppedBy}): ${JSON.stringify(r.rationale)}`);
    r.hits.forEach((h, k) => lines.push(`  ${k + 1}. ${h.score.toFixed(4)}  ${h.label}`));
  }
  return lines.join("\n");
}
