/** The four meta-tasks of MMEB, named as the reference's `eval_ar.py` names them. */
export type MetaTask = "Classification" | "VQA" | "Retrieval" | "Visual Grounding";

/** IND: the 20 subsets whose training splits are in MMEB-train; OOD: the 16 held out. */
export type Distribution = "IND" | "OOD";

/** One MMEB-eval subset and where it counts. */
export interface MmebSubset {
  /** Folder name in MMEB-eval (hyphenated eval names, e.g. `ImageNet-1K`). */
  name: string;
  metaTask: MetaTask;
  distribution: Distribution;
}

export const META_TASKS: readonly MetaTask[] = ["Classification", "VQA", "Retrieval", "Visual Grounding"];

const subset = (metaTask: MetaTask, distribution: Distribution) => (name: string): MmebSubset => ({ name, metaTask, distribution });

/**
 * The 36 MMEB-eval subsets in the column order of the reference's `scripts/collect_acc.py`, grouped as its
 * `eval_ar.py` groups them (`data_group`, `data_group_class`).
 */
export const MMEB_SUBSETS: readonly MmebSubset[] = [
  ...["ImageNet-1K", "N24News", "HatefulMemes", "VOC2007", "SUN397"].map(subset("Classification", "IND")),
  ...["Place365", "ImageNet-A", "ImageNet-R", "ObjectNet", "Country211"].map(subset("Classification", "OOD")),
  ...["OK-VQA", "A-OKVQA", "DocVQA", "InfographicsVQA", "ChartQA", "Visual7W"].map(subset("VQA", "IND")),
  ...["ScienceQA", "VizWiz", "GQA", "TextVQA"].map(subset("VQA", "OOD")),
  ...["VisDial", "CIRR", "VisualNews_t2i", "VisualNews_i2t", "MSCOCO_t2i", "MSCOCO_i2t", "NIGHTS", "WebQA"].map(
    subset("Retrieval", "IND"),
  ),
  ...["FashionIQ", "Wiki-SS-NQ", "OVEN", "EDIS"].map(subset("Retrieval", "OOD")),
  subset("Visual Grounding", "IND")("MSCOCO"),
  ...["RefCOCO", "RefCOCO-Matching", "Visual7W-Pointing"].map(subset("Visual Grounding", "OOD")),
];

/** The subset named `name`, or undefined for a name outside MMEB (it is scored but left out of every group). */
export function findSubset(name: string): MmebSubset | undefined {
  return MMEB_SUBSETS.find((s) => s.name === name);
}
