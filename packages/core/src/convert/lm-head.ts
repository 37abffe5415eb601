import type { GraphProto, NodeProto } from "onnx-buf";
import { DecoderUnsupportedError } from "../errors.js";
import { DECODER_IO } from "../graph/qwen2-5-vl/decoder-graph.js";

/** Ops that compute the lm_head projection, in the default and com.microsoft domains. */
const HEAD_OPS = new Set(["MatMul", "Gemm", "MatMulNBits", "MatMulInteger", "FusedMatMul", "DynamicQuantizeMatMul", "MatMulIntegerToFloat"]);
/** Ops between the head and the `logits` output that keep its meaning (casts, reshapes, a bias or scale). */
const AFTER_HEAD_OPS = new Set(["Cast", "Identity", "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Add", "Mul", "Div"]);

/** Where the lm_head reads the final-norm hidden state, found by walking back from `logits`. */
export interface LmHead {
  /** The projection node (MatMul, Gemm, MatMulNBits, ...). */
  head: NodeProto;
  /** The node input that carries the `[B,S,H]` hidden state into the head; a `num_logits_to_keep` Slice goes here. */
  entry: { node: NodeProto; index: number; tensor: string };
  /** The full-sequence hidden state: the tensor to expose as `last_hidden_state`. */
  tap: string;
  /** True when the head already reads a slice of the hidden state driven by `num_logits_to_keep`. */
  slicedByLogitsToKeep: boolean;
}

/**
 * Finds the lm_head of a decoder graph: from the producer of `logits` back through casts and reshapes to the
 * first MatMul-like node. Its input 0 is the final-norm hidden state; when the export already slices that by
 * `num_logits_to_keep`, the tap moves one hop back to the full-length tensor.
 */
export function findLmHead(graph: GraphProto, file: string): LmHead {
  const producers = producerMap(graph);
  const constants = new Set([...graph.initializer.map((t) => t.name), ...graph.node.filter((n) => n.opType === "Constant").flatMap((n) => n.output)]);
  const { head, walked } = searchHead(producers.get(DECODER_IO.logits), producers, constants);
  if (!head) {
    throw new DecoderUnsupportedError(
      `No lm_head found behind the "logits" output of ${file}: expected a MatMul, Gemm, MatMulNBits or MatMulInteger ` +
        `after Cast/Identity/Reshape-like nodes, found ${walked.length ? walked.join(", ") : "no producing node"}. ` +
        `Is this a decoder export whose logits come from the lm_head directly?`,
      file,
      walked,
    );
  }
  const entry = headEntry(head, producers, file);
  const hasKeepInput = graph.input.some((i) => i.name === DECODER_IO.numLogitsToKeep);
  let tap = entry.tensor;
  let slicedByLogitsToKeep = false;
  for (let producer = producers.get(tap); producer; producer = producers.get(tap)) {
    if (producer.opType === "DynamicQuantizeLinear") tap = producer.input[0]!;
    else if (!slicedByLogitsToKeep && hasKeepInput && ["Slice", "Gather"].includes(producer.opType) && dependsOnKeep(producer, producers)) {
      tap = producer.input[0]!;
      slicedByLogitsToKeep = true;
    } else break;
  }
  return { head, entry, tap, slicedByLogitsToKeep };
}

/**
 * Breadth-first from the logits producer through pass-through ops to the nearest head op. Breadth-first because
 * a quantized head's output is rescaled by a computed scale (`Cast(MatMulInteger) * (a_scale * b_scale)`): both
 * inputs of that Mul are computed, and only one leads to the head.
 */
function searchHead(
  start: NodeProto | undefined,
  producers: Map<string, NodeProto>,
  constants: Set<string>,
): { head?: NodeProto; walked: string[] } {
  const walked: string[] = [];
  const queue = start ? [start] : [];
  const seen = new Set<NodeProto>(queue);
  for (let node = queue.shift(); node && walked.length < 64; node = queue.shift()) {
    if (HEAD_OPS.has(node.opType)) return { head: node, walked };
    walked.push(describe(node));
    if (!AFTER_HEAD_OPS.has(node.opType)) continue;
    const shapeLike = ["Reshape", "Squeeze", "Unsqueeze"].includes(node.opType);
    for (const [i, name] of node.input.entries()) {
      const producer = producers.get(name);
      if (!producer || constants.has(name) || (shapeLike && i > 0) || seen.has(producer)) continue;
      seen.add(producer);
      queue.push(producer);
    }
  }
  return { walked };
}

/** Gemm takes 2-D input, so exports flatten `[B,S,H]` first: the entry is then the Reshape's input. */
function headEntry(head: NodeProto, producers: Map<string, NodeProto>, file: string): LmHead["entry"] {
  if (head.opType !== "Gemm") return { node: head, index: 0, tensor: head.input[0]! };
  const flatten = producers.get(head.input[0]!);
  if (flatten && (flatten.opType === "Reshape" || flatten.opType === "Flatten")) return { node: flatten, index: 0, tensor: flatten.input[0]! };
  throw new DecoderUnsupportedError(
    `The lm_head of ${file} is a Gemm whose input is not a Reshape/Flatten of the [batch, sequence, hidden] state ` +
      `(found ${flatten ? describe(flatten) : "a graph input"}); cannot tell where the sequence axis is.`,
    file,
    [describe(head), flatten ? describe(flatten) : "graph input"],
  );
}

/** True when one of the node's non-data inputs is computed from the `num_logits_to_keep` input. */
function dependsOnKeep(node: NodeProto, producers: Map<string, NodeProto>): boolean {
  const seen = new Set<string>();
  const stack = node.input.slice(1);
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (name === DECODER_IO.numLogitsToKeep) return true;
    if (seen.has(name)) continue;
    seen.add(name);
    stack.push(...(producers.get(name)?.input ?? []));
  }
  return false;
}

export function producerMap(graph: GraphProto): Map<string, NodeProto> {
  const producers = new Map<string, NodeProto>();
  for (const node of graph.node) for (const out of node.output) if (out) producers.set(out, node);
  return producers;
}

function describe(node: NodeProto): string {
  const op = node.domain && node.domain !== "ai.onnx" ? `${node.domain}.${node.opType}` : node.opType;
  return node.name ? `${op} "${node.name}"` : op;
}
