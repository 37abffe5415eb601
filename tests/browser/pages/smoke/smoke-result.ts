import type { AdapterInfo } from "../shared/adapter-info.js";
import type { GraphRun } from "../shared/graph-case.js";

/** What the smoke page posts. */
export interface SmokeResult {
  crossOriginIsolated: boolean;
  /** The WebGPU adapter, or why there is none; only asked for with `ep=webgpu` (then no run happens without one). */
  adapter?: AdapterInfo;
  main?: GraphRun;
  worker?: GraphRun;
}
