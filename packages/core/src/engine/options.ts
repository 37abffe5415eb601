import { availableParallelism } from "node:os";
import { abortSignal, boolean, func, integerIn, nonEmptyString, type OptionRule } from "../options/option-rules.js";
import { ENGINE_OPTION_RULES } from "./engine-options.js";

/** Most intra-op threads accepted: a few per core (more only thrash; a million got the process killed). */
const MAX_THREADS_PER_CORE = 4;

/** The rules of Node's `loadRgeModel` options (device and dtype are parsed with their own typed errors). */
export const LOAD_OPTION_RULES: Record<string, OptionRule> = {
  ...ENGINE_OPTION_RULES,
  device: nonEmptyString,
  dtype: nonEmptyString,
  revision: nonEmptyString,
  cacheDir: nonEmptyString,
  hubCacheDir: nonEmptyString,
  endpoint: nonEmptyString,
  token: nonEmptyString,
  checkForUpdates: boolean,
  onProgress: func,
  signal: abortSignal,
  threads: (v, name) => integerIn(1, MAX_THREADS_PER_CORE * availableParallelism())(v, name),
  kvCacheOnDevice: boolean,
};
