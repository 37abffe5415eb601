import { checkOptions, invalidOption, optionRules as rules, RgeModel, type OptionRule } from "@rge/core";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The rules of `evaluateMmeb`'s options; `modelOptions` get core's checks when the bundle is loaded. */
const EVALUATE_RULES: Record<string, OptionRule> = {
  data: rules.nonEmptyString,
  images: rules.nonEmptyString,
  model: (v, name) => {
    const embedder = isObject(v) && ["cacheIdentity", "embedQueries", "embedTargets"].every((m) => typeof v[m] === "function");
    if (!(v instanceof RgeModel) && !embedder && (typeof v !== "string" || v.length === 0)) {
      throw invalidOption(name, "a bundle directory, a loaded RgeModel or an MmebEmbedder", v);
    }
  },
  modelOptions: (v, name) => {
    if (!isObject(v)) throw invalidOption(name, "an object of loadRgeModel options", v);
  },
  subsets: (v, name) => {
    if (!Array.isArray(v)) throw invalidOption(name, "an array of subset names", v);
    const bad = v.find((s) => typeof s !== "string" || s.length === 0);
    if (bad !== undefined) throw invalidOption(name, "an array of subset names", bad);
  },
  reasoning: rules.oneOf("on", "off", "both"),
  out: rules.nonEmptyString,
  cacheDir: rules.nonEmptyString,
  skipBadRows: rules.boolean,
  chunkSize: rules.positiveInteger,
  signal: rules.abortSignal,
  onProgress: rules.func,
  onLog: rules.func,
};

/** Throws `InvalidOptionError` for the first wrong option (`data`, `images` and `model` are required). */
export function checkEvaluateMmebOptions(options: unknown): void {
  checkOptions(options ?? null, "evaluateMmeb's options", EVALUATE_RULES);
  for (const name of ["data", "images", "model"]) {
    if ((options as Record<string, unknown>)[name] === undefined) EVALUATE_RULES[name]!(undefined, name);
  }
}
