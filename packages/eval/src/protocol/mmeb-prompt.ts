import { CANDIDATE_RULES, INSTRUCTION_RULES } from "./rewrite-rules.js";
import { applyTextRule, ensureTrailingNewline } from "./text-rule.js";

/** MMEB's image placeholder (Phi-3-V's), as it stands in `qry_text` and `tgt_text`. */
export const MMEB_IMAGE_TOKEN = "<|image_1|>";
/** What the reference puts in its place for Qwen2.5-VL; the processor expands the pad per image. */
export const QWEN_VISION_PLACEHOLDER = "<|vision_start|><|image_pad|><|vision_end|>";

/** Which side of a row a text is on: the query (`qry_text`) or a candidate (`tgt_text`). */
export type MmebSide = "query" | "candidate";

/**
 * The rewritten text the reference keys its embeddings by: the subset's rule for the side, then a trailing
 * newline. The image placeholder is still MMEB's here, as in the reference's score loop.
 */
export function rewriteMmebText(subset: string, side: MmebSide, text: string): string {
  const rule = (side === "query" ? INSTRUCTION_RULES : CANDIDATE_RULES)[subset];
  return ensureTrailingNewline(applyTextRule(text, rule));
}

/**
 * The user turn the model sees for a rewritten text: MMEB's placeholder becomes Qwen's vision tokens, which are
 * dropped when the row has no image (the reference's `EvalDataset.__getitem__`).
 */
export function mmebUserText(rewritten: string, imagePath: string): string {
  const text = rewritten.replaceAll(MMEB_IMAGE_TOKEN, () => QWEN_VISION_PLACEHOLDER);
  return imagePath === "" ? text.replaceAll(QWEN_VISION_PLACEHOLDER, "") : text;
}
