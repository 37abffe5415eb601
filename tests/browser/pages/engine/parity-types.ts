// What the engine page and its test exchange (plain data: no import of the page's code).

/** An input as the test describes it: an image by URL, or by URL fetched into a Blob first. */
export interface CaseInput {
  text?: string;
  image?: string;
  imageAs?: "url" | "blob";
}

export interface ParityRequest {
  bundle: string;
  device: "wasm" | "webgpu" | "auto";
  maxNewTokens: number;
  queries: CaseInput[];
  targets: CaseInput[];
}

export interface ParityResult {
  device: string;
  deviceReason: string;
  queries: { embedding: number[]; rationale: string; generatedIds: number[]; tokens: { prompt: number; generated: number } }[];
  targets: { embedding: number[]; tokens: { prompt: number } }[];
  streamed: string[];
  loadMs: number;
  runMs: number;
}

