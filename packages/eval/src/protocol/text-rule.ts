/**
 * One subset's rewrite of a text, in the reference's order: exact-match `valueMap`, then every occurrence of
 * `original` replaced by `replacement` (default ""), then `prefixAdd`, then `suffixAdd`.
 */
export interface TextRule {
  /** Whole-text substitutions, applied first (HatefulMemes' "Yes"/"No"). */
  valueMap?: Readonly<Record<string, string>>;
  /** Substring to replace, every occurrence (Python's `str.replace`). Absent: no replacement. */
  original?: string;
  /** What replaces `original`. Default "". */
  replacement?: string;
  /** Put before the text when non-empty. */
  prefixAdd?: string;
  /** Put after the text when non-empty. */
  suffixAdd?: string;
}

/** Applies `rule` to `text` exactly as the reference's `apply_simple_text_ops` does. */
export function applyTextRule(text: string, rule: TextRule | undefined): string {
  if (!rule) return text;
  let out = rule.valueMap && Object.hasOwn(rule.valueMap, text) ? rule.valueMap[text]! : text;
  if (rule.original !== undefined) {
    const replacement = rule.replacement ?? "";
    // A function replacer, so "$&" and friends in the replacement stay literal.
    out = out.replaceAll(rule.original, () => replacement);
  }
  if (rule.prefixAdd) out = rule.prefixAdd + out;
  if (rule.suffixAdd) out = out + rule.suffixAdd;
  return out;
}

/** Appends "\n" unless the text already ends with one (the reference's `ensure_trailing_newline`). */
export function ensureTrailingNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}
