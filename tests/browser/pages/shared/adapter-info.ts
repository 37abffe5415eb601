/** What `navigator.gpu.requestAdapter()` gave, in terms a test can print. */
export type AdapterInfo =
  | { available: true; vendor: string; architecture: string; description: string; isFallbackAdapter: boolean }
  | { available: false; reason: string };
