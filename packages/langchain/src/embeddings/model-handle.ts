import { connectRgeModel, isServerUrl, loadRgeModel, RgeRemoteModel, type ConnectRgeModelOptions, type LoadRgeModelOptions, type RgeModel } from "@rge/core";

/**
 * Loads the model on first use (constructors stay synchronous, as LangChain expects), or connects to it when the
 * source is a server URL, and frees it on `dispose()` only if it loaded it: a model passed in belongs to the caller.
 */
export class ModelHandle {
  private loading: Promise<RgeModel | RgeRemoteModel> | undefined;
  readonly id: string;

  constructor(
    private readonly source: string | RgeModel | RgeRemoteModel,
    private readonly options: LoadRgeModelOptions,
    private readonly connectOptions: ConnectRgeModelOptions,
  ) {
    this.id =
      typeof source === "string" ? source : source instanceof RgeRemoteModel ? `${source.url}#${source.modelName}` : `${source.bundle.dir}#${source.dtype}`;
    if (typeof source !== "string") this.loading = Promise.resolve(source);
  }

  get(): Promise<RgeModel | RgeRemoteModel> {
    if (!this.loading) {
      const source = this.source as string;
      this.loading = isServerUrl(source) ? connectRgeModel(source, this.connectOptions) : loadRgeModel(source, this.options);
      // A failed load is not cached: the next call tries again (e.g. after the bundle is written or the server started).
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
