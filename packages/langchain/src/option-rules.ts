import { invalidOption, type OptionRule } from "@rge/core";

// Rules for options core's `optionRules` has no word for: objects LangChain passes around, typed structurally.

/** An object with the named methods (e.g. a `BaseStore`'s `mget` and `mset`); `what` describes it in the error. */
export const withMethods =
  (what: string, ...methods: string[]): OptionRule =>
  (v, name) => {
    const ok = typeof v === "object" && v !== null && methods.every((m) => typeof (v as Record<string, unknown>)[m] === "function");
    if (!ok) throw invalidOption(name, `${what} (with ${methods.join(" and ")})`, v);
  };

/** A plain options object, such as `loadOptions`. */
export const optionsObject: OptionRule = (v, name) => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw invalidOption(name, "an object", v);
};

/** An array of strings, such as document ids. */
export const stringArray: OptionRule = (v, name) => {
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) throw invalidOption(name, "an array of strings", Array.isArray(v) ? v.find((s) => typeof s !== "string") : v);
};
