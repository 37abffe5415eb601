import type { QueryEmbedding, RgeInput, RgeModel, TargetEmbedding } from "@rge/core";
import { gradientPng, SeededRandom } from "@rge/core/testing";

/** One item of a 200 answer as the model gives it in process. */
export interface ExpectedItem {
  embedding: Float32Array;
  /** Queries only. */
  rationale?: string;
  stoppedBy?: string;
}

/** What the server must answer to a body: the in-process results, or an error status and OpenAI error code. */
export type Expected = { status: 200; encoding: "float" | "base64"; items: ExpectedItem[] } | { status: number; code: string };

/** A request body ready to send, with its answer computed beforehand. */
export interface LoadBody {
  /** The row it is reported under ("query", "document", …). */
  kind: string;
  json: string;
  /** Items it asks to embed (0 for requests refused before the model). */
  items: number;
  expected: Expected;
}

const WORDS = ["cat", "moon", "river", "engine", "bread", "violin", "glacier", "market", "orbit", "lantern", "harbour", "pepper", "tide", "copper", "meadow", "signal"];

/**
 * Makes request bodies and their in-process answers. Every text carries a running number, so no two items are
 * alike and the server's result cache cannot answer in the engine's place; images differ in size and tint for the
 * same reason. Each body's answer is one `embedQueries`/`embedTargets` call on `model`, as the server makes one call
 * per request.
 */
export class LoadBodies {
  private n = 0;
  private readonly random = new SeededRandom(17);

  constructor(private readonly model: RgeModel) {}

  /** Queries with reasoning (unless `reasoning: false`); with `image`, the first item carries one. */
  async queries(kind: string, count: number, options: { maxNewTokens?: number; reasoning?: boolean; image?: boolean; encoding?: "float" | "base64" } = {}): Promise<LoadBody> {
    const inputs = await this.inputs(count, 3, 10, options.image ?? false, "?");
    const request = {
      model: options.image ? "rge" : "rge:query",
      ...(options.image ? { side: "query" } : {}),
      ...(options.maxNewTokens !== undefined ? { max_new_tokens: options.maxNewTokens } : {}),
      ...(options.reasoning !== undefined ? { reasoning: options.reasoning } : {}),
    };
    const results = await this.model.embedQueries(inputs, {
      ...(options.maxNewTokens !== undefined ? { maxNewTokens: options.maxNewTokens } : {}),
      ...(options.reasoning !== undefined ? { reasoning: options.reasoning } : {}),
    });
    return served(kind, inputs, request, options.encoding ?? "float", results);
  }

  /** Documents of 4 to 40 words (one pass each); with `image`, the first item carries one. */
  async documents(kind: string, count: number, options: { image?: boolean; encoding?: "float" | "base64" } = {}): Promise<LoadBody> {
    const inputs = await this.inputs(count, 4, 40, options.image ?? false, ".");
    const request = options.image ? { model: "rge" } : { model: "rge:document" };
    return served(kind, inputs, request, options.encoding ?? "float", await this.model.embedTargets(inputs));
  }

  private async inputs(count: number, minWords: number, maxWords: number, image: boolean, end: string): Promise<RgeInput[]> {
    const inputs: RgeInput[] = [];
    for (let i = 0; i < count; i++) {
      const n = this.n++;
      const words = Array.from({ length: minWords + Math.floor(this.random.uniform() * (maxWords - minWords + 1)) }, () => WORDS[Math.floor(this.random.uniform() * WORDS.length)]);
      const input: RgeInput = { text: `Item ${n}: ${words.join(" ")}${end}` };
      if (image && i === 0) input.image = `data:image/png;base64,${Buffer.from(await gradientPng(40 + (n % 7) * 12, 36 + (n % 5) * 14, n % 256)).toString("base64")}`;
      inputs.push(input);
    }
    return inputs;
  }
}

/**
 * Requests the server refuses, with the status and code it must give: an empty text (alone, and beside a good
 * one: nothing partial comes back), an unsupported `dimensions`, a schema violation, malformed JSON and an unknown
 * model.
 */
export const BAD_BODIES: LoadBody[] = [
  bad({ model: "rge", input: "" }, 400, "RGE_EMPTY_INPUT"),
  bad({ model: "rge:query", input: ["A fine question?", ""] }, 400, "RGE_EMPTY_INPUT"),
  bad({ model: "rge", input: "seven", dimensions: 7 }, 400, "unsupported_dimensions"),
  bad({ model: "rge", input: 42 }, 400, "invalid_request"),
  { kind: "bad", json: '{"model": "rge", "input": ["unterminated', items: 0, expected: { status: 400, code: "FST_ERR_CTP_INVALID_JSON_BODY" } },
  bad({ model: "gpt-4", input: "x" }, 404, "model_not_found"),
];

function bad(request: object, status: number, code: string): LoadBody {
  return { kind: "bad", json: JSON.stringify(request), items: 0, expected: { status, code } };
}

/** The body in OpenAI's form (an item with an image as content parts, vLLM's way) and its expected answer. */
function served(kind: string, inputs: RgeInput[], request: object, encoding: "float" | "base64", results: (QueryEmbedding | TargetEmbedding)[]): LoadBody {
  const input = inputs.map((i) => (i.image === undefined ? i.text! : [{ type: "image_url", image_url: { url: i.image as string } }, { type: "text", text: i.text! }]));
  const items = results.map((r) => ({ embedding: r.embedding, ...("rationale" in r ? { rationale: r.rationale, stoppedBy: r.stoppedBy } : {}) }));
  return { kind, json: JSON.stringify({ ...request, input, encoding_format: encoding }), items: inputs.length, expected: { status: 200, encoding, items } };
}
