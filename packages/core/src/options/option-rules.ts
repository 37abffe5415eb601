import { InvalidOptionError } from "../errors.js";

// The rules options are checked against, shared by core and the integrations (LangChain, LlamaIndex, eval), so
// a wrong value reads the same everywhere: `<option> must be <expected>, got <value>.` Hand-written: a dozen
// checks read more plainly than a schema library here.

/** Checks one option's value, throwing {@link InvalidOptionError} that names it when the value is wrong. */
export type OptionRule = (value: unknown, name: string) => void;

const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : typeof v === "number" || typeof v === "boolean" ? String(v) : v === null ? "null" : typeof v);

/**
 * The error for an option `name` that should be `expected` but is `value`; for rules of your own.
 *
 * @example
 * const cache: OptionRule = (v, name) => { if (!isStore(v)) throw invalidOption(name, "a BaseStore", v); };
 */
export function invalidOption(name: string, expected: string, value: unknown): InvalidOptionError {
  return new InvalidOptionError(`${name} must be ${expected}, got ${show(value)}.`);
}

/** An integer from `min` to `max` (NaN, ±Infinity and fractions are refused). */
export const integerIn =
  (min: number, max: number): OptionRule =>
  (v, name) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      throw invalidOption(name, max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`, v);
    }
  };
/** An integer ≥ 1. */
export const positiveInteger: OptionRule = integerIn(1, Number.MAX_SAFE_INTEGER);
/** An integer ≥ `min`, or `Infinity` for "no limit" (NaN and fractions are refused). */
export const integerOrInfinity =
  (min: number): OptionRule =>
  (v, name) => {
    if (v !== Infinity && (typeof v !== "number" || !Number.isInteger(v) || v < min)) throw invalidOption(name, `an integer ≥ ${min}, or Infinity`, v);
  };
/** A finite number above 0 (NaN and ±Infinity are refused). */
export const positiveNumber: OptionRule = (v, name) => {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw invalidOption(name, "a positive finite number", v);
};
/** `true` or `false`. */
export const boolean: OptionRule = (v, name) => {
  if (typeof v !== "boolean") throw invalidOption(name, "true or false", v);
};
/** Any string, empty included. */
export const string: OptionRule = (v, name) => {
  if (typeof v !== "string") throw invalidOption(name, "a string", v);
};
/** A string of at least one character. */
export const nonEmptyString: OptionRule = (v, name) => {
  if (typeof v !== "string" || v.length === 0) throw invalidOption(name, "a non-empty string", v);
};
/** One of the given strings. */
export const oneOf =
  (...values: string[]): OptionRule =>
  (v, name) => {
    if (typeof v !== "string" || !values.includes(v)) throw invalidOption(name, `one of ${values.map((x) => JSON.stringify(x)).join(", ")}`, v);
  };
/** A function. */
export const func: OptionRule = (v, name) => {
  if (typeof v !== "function") throw invalidOption(name, "a function", v);
};
/** An `AbortSignal`. */
export const abortSignal: OptionRule = (v, name) => {
  if (!(v instanceof AbortSignal)) throw invalidOption(name, "an AbortSignal", v);
};
/** `null`, or a value `rule` accepts (for options where `null` means "none", such as an instruction). */
export const nullable =
  (rule: OptionRule): OptionRule =>
  (v, name) => {
    if (v !== null) rule(v, name);
  };

/**
 * Checks each option that is set (`undefined` means the default) against its rule, before any work is done;
 * `what` names the options object in the error when it is not an object. Options without a rule pass.
 *
 * @example
 * checkOptions(params, "RgeRetriever's options", { k: positiveInteger, reasoning: boolean });
 * // k: 1.5 → InvalidOptionError: k must be an integer ≥ 1, got 1.5.
 */
export function checkOptions(options: unknown, what: string, rules: Readonly<Record<string, OptionRule>>): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object" || Array.isArray(options)) throw invalidOption(what, "an object", options);
  for (const [name, check] of Object.entries(rules)) {
    const value = (options as Record<string, unknown>)[name];
    if (value !== undefined) check(value, name);
  }
}

/**
 * The rules, for integrations that check their own options with {@link checkOptions} the way core checks
 * `loadRgeModel`'s (one namespace, so that names like `boolean` stay off the package's top level).
 *
 * @example
 * import { checkOptions, optionRules as rules } from "@rge/core";
 * checkOptions(params, "MyRetriever's options", { k: rules.positiveInteger, mode: rules.oneOf("fast", "exact") });
 */
export const optionRules = { integerIn, positiveInteger, positiveNumber, integerOrInfinity, boolean, string, nonEmptyString, oneOf, func, abortSignal, nullable } as const;

/** `fields` without its undefined entries, so that they do not override defaults when spread into options. */
export function definedFields<T extends object>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
