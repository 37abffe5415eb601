import { availableParallelism } from "node:os";
import { InvalidOptionError } from "../errors.js";

// Checks of caller-supplied options, so that a wrong value fails at once with InvalidOptionError naming the
// option, instead of being silently ignored (NaN disabling a guard), killing the process (a million threads) or
// surfacing later as another error. Hand-written: a dozen checks read more plainly than a schema library here.

type Check = (value: unknown, name: string) => void;

const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : typeof v === "number" || typeof v === "boolean" ? String(v) : v === null ? "null" : typeof v);
const fail = (name: string, expected: string, value: unknown) => new InvalidOptionError(`${name} must be ${expected}, got ${show(value)}.`);

export const integerIn =
  (min: number, max: number): Check =>
  (v, name) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      throw fail(name, max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`, v);
    }
  };
export const boolean: Check = (v, name) => {
  if (typeof v !== "boolean") throw fail(name, "true or false", v);
};
export const nonEmptyString: Check = (v, name) => {
  if (typeof v !== "string" || v.length === 0) throw fail(name, "a non-empty string", v);
};
export const oneOf =
  (...values: string[]): Check =>
  (v, name) => {
    if (typeof v !== "string" || !values.includes(v)) throw fail(name, `one of ${values.map((x) => JSON.stringify(x)).join(", ")}`, v);
  };
export const func: Check = (v, name) => {
  if (typeof v !== "function") throw fail(name, "a function", v);
};
export const abortSignal: Check = (v, name) => {
  if (!(v instanceof AbortSignal)) throw fail(name, "an AbortSignal", v);
};

const positive = integerIn(1, Number.MAX_SAFE_INTEGER);

/** Checks each option that is set (undefined means the default) against its rule. */
export function checkOptions(options: unknown, what: string, rules: Record<string, Check>): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object" || Array.isArray(options)) throw fail(what, "an object", options);
  for (const [name, check] of Object.entries(rules)) {
    const value = (options as Record<string, unknown>)[name];
    if (value !== undefined) check(value, name);
  }
}

/** Most intra-op threads accepted: a few per core (more only thrash; a million got the process killed). */
const MAX_THREADS_PER_CORE = 4;

/** The rules of `loadRgeModel`'s options (device and dtype are parsed with their own typed errors). */
export const LOAD_OPTION_RULES: Record<string, Check> = {
  device: nonEmptyString,
  dtype: nonEmptyString,
  maxNewTokens: positive,
  batchSize: integerIn(1, 4096),
  allowNetwork: boolean,
  revision: nonEmptyString,
  cacheDir: nonEmptyString,
  threads: (v, name) => integerIn(1, MAX_THREADS_PER_CORE * availableParallelism())(v, name),
  minPixels: positive,
  maxPixels: positive,
  smallImageRule: oneOf("reject", "stretch-to-factor", "mmeb"),
  // maxImagePixels and maxImageBytes: checkImageLimits (preprocess/image) checks the image limits.
  cacheSize: integerIn(0, Number.MAX_SAFE_INTEGER),
  prefixCache: boolean,
  kvCacheOnDevice: boolean,
  maxInputTokens: positive,
  onWarning: func,
};

/** The rules of the embed methods' per-call options. */
export const EMBED_OPTION_RULES: Record<string, Check> = {
  signal: abortSignal,
  reasoning: boolean,
  maxNewTokens: positive,
};
