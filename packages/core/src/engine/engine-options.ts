import { IMAGE_LIMIT_RULES } from "../preprocess/image/image-limits.js";
import { abortSignal, boolean, func, integerIn, oneOf, positiveInteger as positive, type OptionRule } from "../options/option-rules.js";

// The rules of the options every runtime's loader shares (see `EngineOptions`), and of the embed methods', so
// that a wrong value fails at once with InvalidOptionError naming the option, instead of being silently ignored
// (NaN disabling a guard) or surfacing later as another error.

/** The rules of `EngineOptions`. */
export const ENGINE_OPTION_RULES: Record<string, OptionRule> = {
  maxNewTokens: positive,
  batchSize: integerIn(1, 4096),
  allowNetwork: boolean,
  minPixels: positive,
  maxPixels: positive,
  smallImageRule: oneOf("reject", "stretch-to-factor", "mmeb"),
  ...IMAGE_LIMIT_RULES,
  cacheSize: integerIn(0, Number.MAX_SAFE_INTEGER),
  prefixCache: boolean,
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
