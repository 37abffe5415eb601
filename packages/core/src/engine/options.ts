import { availableParallelism } from "node:os";
import { IMAGE_LIMIT_RULES } from "../preprocess/image/image-limits.js";
import { abortSignal, boolean, func, integerIn, nonEmptyString, oneOf, positiveInteger as positive, type OptionRule } from "../options/option-rules.js";

// The rules of core's own options, so that a wrong value fails at once with InvalidOptionError naming the
// option, instead of being silently ignored (NaN disabling a guard), killing the process (a million threads) or
// surfacing later as another error.

/** Most intra-op threads accepted: a few per core (more only thrash; a million got the process killed). */
const MAX_THREADS_PER_CORE = 4;

/** The rules of `loadRgeModel`'s options (device and dtype are parsed with their own typed errors). */
export const LOAD_OPTION_RULES: Record<string, OptionRule> = {
  device: nonEmptyString,
  dtype: nonEmptyString,
  maxNewTokens: positive,
  batchSize: integerIn(1, 4096),
  allowNetwork: boolean,
  revision: nonEmptyString,
  cacheDir: nonEmptyString,
  hubCacheDir: nonEmptyString,
  endpoint: nonEmptyString,
  token: nonEmptyString,
  checkForUpdates: boolean,
  onProgress: func,
  signal: abortSignal,
  threads: (v, name) => integerIn(1, MAX_THREADS_PER_CORE * availableParallelism())(v, name),
  minPixels: positive,
  maxPixels: positive,
  smallImageRule: oneOf("reject", "stretch-to-factor", "mmeb"),
  ...IMAGE_LIMIT_RULES,
  cacheSize: integerIn(0, Number.MAX_SAFE_INTEGER),
  prefixCache: boolean,
  kvCacheOnDevice: boolean,
  maxInputTokens: positive,
  onWarning: func,
};

/** The rules of the embed methods' per-call options. */
export const EMBED_OPTION_RULES: Record<string, OptionRule> = {
  signal: abortSignal,
  reasoning: boolean,
  maxNewTokens: positive,
  onToken: func,
};
