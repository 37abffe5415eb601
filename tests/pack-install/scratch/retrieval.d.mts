// Types of retrieval.mjs, for the test that imports it.
export declare const QUERY: { text: string };
export declare const DOCUMENTS: string[];

export interface RetrievalModules {
  core: typeof import("@rge/core");
  langchain: typeof import("@rge/langchain");
  llamaindex: { RgeLlamaEmbedding: new (params: { model: import("@rge/core").RgeModel; maxNewTokens?: number }) => { getTextEmbedding(text: string): Promise<number[]> } };
}

export interface Retrieval {
  dimension: number;
  query: { embedding: number[]; rationale: string; stoppedBy: "emb" | "maxNewTokens" };
  targets: number[][];
  scores: number[];
  langchain: { query: number[]; documents: number[][] };
  llamaindex: { document: number[] };
}

export declare function retrieve(packages: RetrievalModules, bundleDir: string, imagePath: string): Promise<Retrieval>;
