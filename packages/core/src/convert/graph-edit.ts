import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { copyFile, readFile, rename, rm, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ModelProtoSchema, type GraphProto, type ModelProto } from "onnx-buf";
import { DecoderUnsupportedError, OnnxInvalidError } from "../errors.js";
import { DECODER_IO } from "../graph/qwen2-5-vl/decoder-graph.js";
import { addHiddenStateOutput, addLogitsToKeepInput, FreshNames } from "./decoder-edits.js";
import { assertDataReachable, externalDataFiles } from "./external-data-files.js";
import { findLmHead } from "./lm-head.js";

/** Steps of {@link makeDecoderRgeReady}, in order. */
export type GraphEditStage = "reading" | "editing" | "writing" | "done";

export interface MakeDecoderRgeReadyOptions {
  /** Told when each stage starts (parsing and serializing a 2 GB inline graph takes seconds). Default: none. */
  onProgress?: (stage: GraphEditStage) => void;
}

export interface DecoderEditResult {
  /** False when the graph already had both additions; the output is then a byte copy of the input (or untouched in place). */
  changed: boolean;
  /** A `last_hidden_state` output was added. */
  addedHiddenState: boolean;
  /** A `num_logits_to_keep` input and its Slice in front of the lm_head were added. */
  addedLogitsToKeep: boolean;
  /** The tensor `last_hidden_state` exposes: the full-sequence final-norm hidden state. */
  tapTensor: string;
}

/**
 * Makes a foreign Qwen2.5-VL decoder export (e.g. transformers.js's `decoder_model_merged.onnx`) RGE-ready:
 * adds the `last_hidden_state` output (the final-norm hidden state that feeds the lm_head, before any slice)
 * and, when missing, the int64 scalar input `num_logits_to_keep` (0 = logits for all positions) so target
 * passes compute one row of logits instead of S×V. Logits for the same feeds are unchanged.
 *
 * Only the graph file is read and written: weights in `.onnx_data` files stay where they are and keep their
 * relative references. So `outputPath` must be in the input's folder (in place is fine), unless each data file
 * is linked into the output folder; otherwise this throws {@link InvalidOptionError} with the `ln -s` to run.
 * Running it on an RGE-ready graph changes nothing and returns `changed: false`.
 *
 * @example
 * const result = await makeDecoderRgeReady("bundle/onnx/decoder_model_merged.onnx", "bundle/onnx/decoder_model_merged.onnx");
 * // { changed: true, addedHiddenState: true, addedLogitsToKeep: true, tapTensor: "/model/norm/Mul_1_output_0" }
 */
export async function makeDecoderRgeReady(
  inputPath: string,
  outputPath: string,
  options: MakeDecoderRgeReadyOptions = {},
): Promise<DecoderEditResult> {
  const progress = options.onProgress ?? (() => {});
  progress("reading");
  const model = await readModel(inputPath);
  const graph = model.graph!;
  assertDataReachable(inputPath, outputPath, externalDataFiles(graph));

  progress("editing");
  const result = editDecoderGraph(graph, inputPath);

  progress("writing");
  const inPlace = resolve(inputPath) === resolve(outputPath);
  if (result.changed) await writeAtomically(outputPath, toBinary(ModelProtoSchema, model));
  else if (!inPlace) await copyFile(inputPath, outputPath);
  progress("done");
  return result;
}

/** Applies the missing RGE additions to a parsed decoder graph. */
function editDecoderGraph(graph: GraphProto, file: string): DecoderEditResult {
  if (!graph.output.some((o) => o.name === DECODER_IO.logits)) {
    const found = graph.output.map((o) => o.name);
    throw new DecoderUnsupportedError(
      `${file} has no "${DECODER_IO.logits}" output (found ${found.map((n) => `"${n}"`).join(", ") || "none"}); ` +
        `expected a text decoder export such as transformers.js's decoder_model_merged.onnx.`,
      file,
      found,
    );
  }
  const hasHidden = graph.output.some((o) => o.name === DECODER_IO.lastHiddenState);
  const hasKeep = graph.input.some((i) => i.name === DECODER_IO.numLogitsToKeep);
  if (hasHidden && hasKeep) {
    const identity = graph.node.find((n) => n.output.includes(DECODER_IO.lastHiddenState));
    const tapTensor = identity?.opType === "Identity" ? identity.input[0]! : DECODER_IO.lastHiddenState;
    return { changed: false, addedHiddenState: false, addedLogitsToKeep: false, tapTensor };
  }
  const lmHead = findLmHead(graph, file);
  const names = new FreshNames(graph);
  if (!hasKeep) addLogitsToKeepInput(graph, lmHead.entry, names);
  if (!hasHidden) addHiddenStateOutput(graph, lmHead.tap, names);
  return { changed: true, addedHiddenState: !hasHidden, addedLogitsToKeep: !hasKeep, tapTensor: lmHead.tap };
}

async function readModel(path: string): Promise<ModelProto> {
  const bytes = await readFile(path);
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (cause) {
    throw new OnnxInvalidError(`${path} is not an ONNX model: it does not parse as a ModelProto (${(cause as Error).message}).`, path, { cause });
  }
  // Protobuf parses many byte strings without complaint, so check that a graph actually came out.
  if (model.irVersion <= 0n || !model.graph || model.graph.node.length === 0) {
    throw new OnnxInvalidError(`${path} is not an ONNX model: no IR version or no graph nodes were found. Pass the decoder's .onnx graph file.`, path);
  }
  return model;
}

/** Writes beside the target and renames over it, so an in-place edit never leaves a half-written graph. */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.${process.pid}.rge-edit.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
