import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { MMEB_SUBSETS } from "../benchmark/subsets.js";
import { CANDIDATE_RULES, INSTRUCTION_RULES } from "./rewrite-rules.js";
import type { TextRule } from "./text-rule.js";

const FIELDS = { value_map: "valueMap", original: "original", replacement: "replacement", prefix_add: "prefixAdd", suffix_add: "suffixAdd" } as const;

/** The reference YAML in our field names. */
function reference(file: string): Record<string, TextRule> {
  const yaml = parse(readFileSync(new URL(`./reference/${file}`, import.meta.url), "utf8")) as Record<string, Record<string, unknown>>;
  return Object.fromEntries(
    Object.entries(yaml).map(([subset, rule]) => [
      subset,
      Object.fromEntries(Object.entries(rule).map(([k, v]) => [FIELDS[k as keyof typeof FIELDS] ?? `unknown:${k}`, v])),
    ]),
  );
}

describe("rewrite rules", () => {
  it("say exactly what the reference's instruction_replacements-eval.yaml says", () => {
    expect(INSTRUCTION_RULES).toEqual(reference("instruction_replacements-eval.yaml"));
  });

  it("say exactly what the reference's candidate_replacements.yaml says", () => {
    expect(CANDIDATE_RULES).toEqual(reference("candidate_replacements.yaml"));
  });

  it("cover every one of the 36 MMEB-eval subsets on both sides", () => {
    for (const { name } of MMEB_SUBSETS) {
      expect(INSTRUCTION_RULES[name], name).toBeDefined();
      expect(CANDIDATE_RULES[name], name).toBeDefined();
    }
  });
});
