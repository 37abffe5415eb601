import { parseArgs } from "node:util";
import { makeDecoderRgeReady } from "../convert/graph-edit.js";
import { UsageError } from "./usage-error.js";

export const EDIT_DECODER_USAGE = `rge edit-decoder <decoder.onnx> [<out.onnx>]

Makes an existing Qwen2.5-VL decoder export (e.g. transformers.js's decoder_model_merged.onnx) RGE-ready: adds the
last_hidden_state output and the num_logits_to_keep input. Edits in place without <out.onnx>; external
weights (.onnx_data) stay where they are.`;

export async function editDecoderCommand(argv: string[]): Promise<void> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  const [input, output] = positionals;
  if (!input) throw new UsageError(EDIT_DECODER_USAGE);
  const result = await makeDecoderRgeReady(input, output ?? input, { onProgress: (stage) => stage !== "done" && console.log(`${stage}…`) });
  if (!result.changed) {
    console.log(`${input} is already RGE-ready (last_hidden_state taps ${result.tapTensor}).`);
    return;
  }
  const added = [result.addedHiddenState && "last_hidden_state output", result.addedLogitsToKeep && "num_logits_to_keep input"].filter(Boolean);
  console.log(`Wrote ${output ?? input}: added ${added.join(" and ")} (hidden state from ${result.tapTensor}).`);
}
