/** Shared by this package's tests (not exported): a tiny RGE model and a small text + image corpus. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { loadRgeModel, type RgeModel } from "@rge/core";
import { gradientPng, tempDir, writeTinyBundle } from "@rge/core/testing";
import { Document, ImageDocument, ModalityType, SimpleVectorStore, storageContextFromDefaults, type BaseEmbedding } from "llamaindex";

export interface TinySetup {
  model: RgeModel;
  /** PNG files on disk and their bytes. */
  images: { path: string; bytes: Uint8Array }[];
  remove: () => Promise<void>;
}

/** Writes a tiny bundle and three PNGs into a temp dir and loads the model (maxNewTokens kept small for speed). */
export async function tinySetup(): Promise<TinySetup> {
  const tmp = tempDir("rge-llamaindex-");
  writeTinyBundle(join(tmp.dir, "bundle"), { seed: 3 });
  const model = await loadRgeModel(join(tmp.dir, "bundle"), { maxNewTokens: 16 });
  const images = await Promise.all(
    [
      [56, 56, 0],
      [84, 56, 90],
      [56, 112, 180],
    ].map(async ([w, h, tint], i) => {
      const bytes = await gradientPng(w!, h!, tint);
      const path = join(tmp.dir, `image-${i}.png`);
      writeFileSync(path, bytes);
      return { path, bytes };
    }),
  );
  return { model, images, remove: async () => (await model.dispose(), tmp.remove()) };
}

export const TEXTS = [
  "Apples are round fruits, usually red or green.",
  "The moon and the stars light up the night sky.",
  "Quarterly sales rose in every region.",
];

/** Text documents and image documents given as a path, a `data:` URL and a Blob (the forms LlamaIndex 0.12 stores). */
export function corpus(images: TinySetup["images"]): Document[] {
  const dataUrl = `data:image/png;base64,${Buffer.from(images[1]!.bytes).toString("base64")}`;
  return [
    ...TEXTS.map((text, i) => new Document({ text, id_: `text-${i}` })),
    new ImageDocument({ image: images[0]!.path, id_: "image-path" }),
    new ImageDocument({ image: dataUrl, id_: "image-data-url" }),
    new ImageDocument({ image: new Blob([images[2]!.bytes], { type: "image/png" }), id_: "image-blob" }),
  ];
}

/** LlamaIndex's default storage has a text store only; image nodes need their own. */
export async function textAndImageStorage(embedModel: BaseEmbedding) {
  return storageContextFromDefaults({
    vectorStores: {
      [ModalityType.TEXT]: new SimpleVectorStore({ embedModel }),
      [ModalityType.IMAGE]: new SimpleVectorStore({ embedModel }),
    },
  });
}

export const fileUrl = (path: string) => pathToFileURL(path).href;
