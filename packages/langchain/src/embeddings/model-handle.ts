import { loadRgeModel, RgeModel, type LoadRgeModelOptions } from "@rge/core";

/**
 * Loads the model on first use (constructors stay synchronous, as LangChain expects) and frees it on
 * `dispose()` only if it loaded it: a model passed in belongs to the caller.
 */
export class ModelHandle {
  private loading: Promise<RgeModel> | undefined;
  readonly id: string;

  constructor(
    private readonly source: string | RgeModel,
    private readonly options: LoadRgeModelOptions,
  ) {
    this.id = typeof source === "string" ? source : `${source.bundle.dir}#${source.dtype}`;
    if (source instanceof RgeModel) this.loading = Promise.resolve(source);
  }

  get(): Promise<RgeModel> {
    if (!this.loading) {
      this.loading = loadRgeModel(this.source as string, this.options);
      // A failed load is not cached: the next call tries again (e.g. after the bundle is written).
      this.loading.catch(() => (this.loading = undefined));
    }
    return this.loading;
  }

  async dispose(): Promise<void> {
    if (typeof this.source !== "string" || !this.loading) return;
    const loading = this.loading;
    this.loading = undefined;
    await (await loading.catch(() => undefined))?.dispose();
  }
}
