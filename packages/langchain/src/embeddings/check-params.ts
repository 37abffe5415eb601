import { checkOptions, invalidOption, optionRules as rules, RgeModel, RgeRemoteModel } from "@rge/core";
import { optionsObject, withMethods } from "../option-rules.js";

/** The rules of {@link RgeEmbeddingsParams}; options passed on to `loadRgeModel` get core's own checks at load. */
const PARAM_RULES = {
  device: rules.nonEmptyString,
  dtype: rules.nonEmptyString,
  reasoning: rules.boolean,
  queryInstruction: rules.nullable(rules.string),
  documentInstruction: rules.nullable(rules.string),
  maxNewTokens: rules.positiveInteger,
  batchSize: rules.positiveInteger,
  allowNetwork: rules.boolean,
  apiKey: rules.nonEmptyString,
  rationaleCache: withMethods("a store such as InMemoryStore", "mget", "mset"),
  loadOptions: optionsObject,
  // LangChain's AsyncCaller settings.
  maxRetries: rules.integerIn(0, Number.MAX_SAFE_INTEGER),
  maxConcurrency: rules.integerOrInfinity(1),
  onFailedAttempt: rules.func,
};

/** Throws `InvalidOptionError` for the first wrong param, before the constructor does anything. */
export function checkEmbeddingsParams(fields: unknown): void {
  checkOptions(fields, "RgeEmbeddings' params", PARAM_RULES);
  const model = (fields as { model?: unknown } | undefined)?.model;
  if (!(model instanceof RgeModel) && !(model instanceof RgeRemoteModel) && (typeof model !== "string" || model.length === 0)) {
    throw invalidOption("model", "a bundle directory, a hub id, a server URL or a loaded RgeModel", model);
  }
}
