import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Document } from "@langchain/core/documents";
import type { RgeQuery } from "@rge/langchain";
import { demoHeldout } from "@rge/example-demo-model";
import sharp from "sharp";

const assets = join(dirname(fileURLToPath(import.meta.url)), "..", "assets");

/** Path of one of the example's drawings (`red-apple`, `night-sky`, `bar-chart`). */
export function assetPath(name: string): string {
  return join(assets, `${name}.svg`);
}

/** Renders an image file to PNG bytes (the drawings are SVG, so the repo holds no binary files). */
export async function pngBytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await sharp(readFileSync(path)).png().toBuffer());
}

/**
 * A small mixed corpus. Image documents carry their picture in `metadata.image` (the @rge/langchain
 * convention) as a `data:` URL, so the index can be saved as JSON; their `pageContent` is empty.
 */
export async function exampleCorpus(): Promise<Document[]> {
  const picture = async (name: string) => `data:image/png;base64,${Buffer.from(await pngBytes(assetPath(name))).toString("base64")}`;
  return [
    new Document({ id: "apples", pageContent: "Apples are round fruits, usually red or green, that grow on trees.", metadata: { source: "notes/apples.txt" } }),
    new Document({ id: "stars", pageContent: "On a clear night the moon and the stars light up the dark sky.", metadata: { source: "notes/night.txt" } }),
    new Document({ id: "sales", pageContent: "Quarterly sales rose in every region, led by the third quarter.", metadata: { source: "reports/q3.txt" } }),
    new Document({ id: "red-apple", pageContent: "", metadata: { source: "red-apple.svg", image: await picture("red-apple") } }),
    new Document({ id: "night-sky", pageContent: "", metadata: { source: "night-sky.svg", image: await picture("night-sky") } }),
    new Document({ id: "bar-chart", pageContent: "", metadata: { source: "bar-chart.svg", image: await picture("bar-chart") } }),
  ];
}

/** For the demo model (a tiny RGE that answers questions about 200 made-up people): one document per person. */
export function demoModelCorpus(): Document[] {
  return demoHeldout().candidates.map((name) => new Document({ id: name, pageContent: name, metadata: { source: `people/${name}` } }));
}

/** The first held-out questions of the demo model's training run (each fact was trained, never the chain). */
export function demoModelQuestions(): { label: string; query: RgeQuery }[] {
  return demoHeldout().queries.slice(0, 3).map((q) => ({ label: q.text, query: q.text }));
}
