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
  /** A Cache API cache name for the graphs (default: none). */
  cache?: string;
  /** Default: the loader's (on the device, on WebGPU). */
  kvCacheOnDevice?: boolean;
  maxNewTokens: number;
  queries: CaseInput[];
  targets: CaseInput[];
}

export interface ParityResult {
  device: string;
  deviceReason: string;
  kvCacheOnDevice: boolean;
  queries: { embedding: number[]; rationale: string; generatedIds: number[]; tokens: { prompt: number; generated: number } }[];
  targets: { embedding: number[]; tokens: { prompt: number } }[];
  streamed: string[];
  loadMs: number;
  runMs: number;
}


/** One query and one target embedded from a bundle read one way (the Cache API, OPFS, a picked folder). */
export interface SourceRun {
  source: "cache" | "opfs" | "folder";
  /** Progress reports that came from the Cache API or local files, against all reports. */
  cachedReports: number;
  reports: number;
  query: { embedding: number[]; generatedIds: number[] };
  target: { embedding: number[] };
}

export interface SourcesRequest {
  bundle: string;
  /** The bundle's files, by path inside it, to copy into OPFS. */
  files: string[];
  maxNewTokens: number;
  query: CaseInput;
  target: CaseInput;
}
