import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../errors.js";
import { checkOptions, invalidOption, optionRules as rules } from "./option-rules.js";

const rejection = (options: unknown, rulesOf: Parameters<typeof checkOptions>[2]) => {
  try {
    checkOptions(options, "the options", rulesOf);
  } catch (error) {
    return error as InvalidOptionError;
  }
  return undefined;
};

describe("checkOptions", () => {
  it("rejects NaN, fractions, negatives and strings for a positive integer, naming the option, the rule and the value", () => {
    for (const [value, shown] of [[NaN, "NaN"], [1.5, "1.5"], [-1, "-1"], [0, "0"], [Infinity, "Infinity"], ["4", '"4"']] as const) {
      const error = rejection({ k: value }, { k: rules.positiveInteger });
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error?.code).toBe("RGE_INVALID_OPTION");
      expect(error?.message).toBe(`k must be an integer ≥ 1, got ${shown}.`);
    }
  });

  it("accepts unset options and values that follow their rules, and ignores options without a rule", () => {
    expect(rejection(undefined, { k: rules.positiveInteger })).toBeUndefined();
    expect(rejection({ k: undefined, other: NaN }, { k: rules.positiveInteger })).toBeUndefined();
    expect(rejection({ k: 3, mode: "a", on: false, text: "", none: null }, {
      k: rules.positiveInteger,
      mode: rules.oneOf("a", "b"),
      on: rules.boolean,
      text: rules.string,
      none: rules.nullable(rules.string),
    })).toBeUndefined();
  });

  it("rejects an options value that is not an object, naming it", () => {
    expect(rejection(5, {})?.message).toBe("the options must be an object, got 5.");
    expect(rejection([], {})).toBeInstanceOf(InvalidOptionError);
    expect(rejection(null, {})).toBeInstanceOf(InvalidOptionError);
  });

  it("has rules for enums, booleans, limits that may be Infinity, and null-or-string", () => {
    expect(rejection({ r: "yes" }, { r: rules.boolean })?.message).toBe('r must be true or false, got "yes".');
    expect(rejection({ m: "x" }, { m: rules.oneOf("a", "b") })?.message).toBe('m must be one of "a", "b", got "x".');
    expect(rejection({ n: Infinity }, { n: rules.integerOrInfinity(0) })).toBeUndefined();
    expect(rejection({ n: NaN }, { n: rules.integerOrInfinity(0) })?.message).toBe("n must be an integer ≥ 0, or Infinity, got NaN.");
    expect(rejection({ i: 3 }, { i: rules.nullable(rules.string) })?.message).toBe("i must be a string, got 3.");
  });
});

describe("invalidOption", () => {
  it("makes the same typed error for rules of an integration's own", () => {
    const error = invalidOption("cache", "a BaseStore", {});
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.message).toBe("cache must be a BaseStore, got object.");
  });
});
