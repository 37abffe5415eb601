import { describe, expect, it } from "vitest";
import * as errors from "./errors.js";

describe("error names", () => {
  it("every error class's instances are named after it, from a table that survives minified class names", () => {
    const classes = Object.entries(errors).filter(([, value]) => typeof value === "function" && value.prototype instanceof Error) as [string, new (...args: unknown[]) => errors.RgeError][];
    expect(classes.length).toBeGreaterThan(25);
    for (const [name, ErrorClass] of classes) {
      const instance = name === "RgeError" ? new errors.RgeError("RGE_INTERNAL", "m") : new ErrorClass("m", "x", 1, 2);
      expect(instance.name, name).toBe(name);
      // What a minifier does: the class loses its name; `name` still comes from the code.
      Object.defineProperty(ErrorClass, "name", { value: "e", configurable: true });
      const minified = name === "RgeError" ? new errors.RgeError("RGE_INTERNAL", "m") : new ErrorClass("m", "x", 1, 2);
      Object.defineProperty(ErrorClass, "name", { value: name, configurable: true });
      expect(minified.name, name).toBe(name);
    }
  });
});
