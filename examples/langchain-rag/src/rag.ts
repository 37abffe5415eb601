import type { DocumentInterface } from "@langchain/core/documents";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda, RunnableMap } from "@langchain/core/runnables";
import { isBaseMessage } from "@langchain/core/messages";
import { RationaleCallbackHandler, RgeEmbeddings, RgeRetriever, type RgeQuery, type RationaleRecord } from "@rge/langchain";
import { assetPath, exampleCorpus } from "./corpus.js";
import { OfflineChatModel } from "./offline-chat-model.js";

export interface RagOptions {
  /** Any LangChain chat model. Default: {@link OfflineChatModel} (no API key). */
  chatModel?: BaseChatModel;
  /** Receives the handler's rationale lines and the answers. Default `console.log`. */
  print?: (line: string) => void;
  /** Rationale budget per query. Default: the bundle's. */
  maxNewTokens?: number;
  /** Questions to ask. Default: {@link exampleQuestions}. */
  questions?: { label: string; query: RgeQuery }[];
  /** Documents to index. Default: {@link exampleCorpus}. */
  corpus?: DocumentInterface[];
}

export interface RagAnswer {
  question: string;
  answer: string;
  sources: { id: string; score: number }[];
  rationale: RationaleRecord;
}

/** Two text questions and one that carries an image. */
export function exampleQuestions(): { label: string; query: RgeQuery }[] {
  return [
    { label: "Which fruit is red?", query: "Which fruit is red?" },
    { label: "What lights up the sky at night?", query: "What lights up the sky at night?" },
    { label: "Which bar is the tallest? [bar-chart.svg]", query: { text: "Which bar is the tallest?", image: assetPath("bar-chart") } },
  ];
}

/** The question's text for the prompt (an image question keeps its words; the image went to the retriever). */
function questionText(query: RgeQuery): string {
  if (typeof query === "string") return query;
  return isBaseMessage(query) ? query.text : (query.text ?? "(an image)");
}

function formatSources(docs: DocumentInterface[]): string {
  return docs.map((d, i) => `[${i + 1}] ${d.metadata.source} (score ${d.metadata.rge.score.toFixed(3)})${d.pageContent ? `: ${d.pageContent}` : ""}`).join("\n");
}

/**
 * Indexes the corpus with RGE, then answers each question with the chain
 * `{ context: retriever → format, question } → prompt → chat model → string`, printing each rationale
 * through a `RationaleCallbackHandler`.
 */
export async function runRag(bundleDir: string, options: RagOptions = {}): Promise<RagAnswer[]> {
  const print = options.print ?? ((line: string) => console.log(line));
  const embeddings = new RgeEmbeddings({ model: bundleDir, ...(options.maxNewTokens ? { maxNewTokens: options.maxNewTokens } : {}) });
  try {
    const retriever = await RgeRetriever.fromDocuments(options.corpus ?? (await exampleCorpus()), { embeddings, k: 3 });
    const prompt = ChatPromptTemplate.fromMessages([
      ["system", "Answer the question from the numbered sources. Cite the source you use."],
      ["human", "Sources:\n{context}\n\nQuestion: {question}"],
    ]);
    const retrieved: DocumentInterface[][] = [];
    const chain = RunnableMap.from<RgeQuery>({
      context: RunnableLambda.from(async (q: RgeQuery, config) => {
        const docs = await retriever.invoke(q, config);
        retrieved.push(docs);
        return formatSources(docs);
      }),
      question: (q: RgeQuery) => questionText(q),
    })
      .pipe(prompt)
      .pipe(options.chatModel ?? new OfflineChatModel({}))
      .pipe(new StringOutputParser());

    const handler = new RationaleCallbackHandler({ print });
    const answers: RagAnswer[] = [];
    for (const { label, query } of options.questions ?? exampleQuestions()) {
      print(`\nQuestion: ${label}`);
      const answer = await chain.invoke(query, { callbacks: [handler] });
      const docs = retrieved.at(-1)!;
      print(formatSources(docs).replace(/^/gm, "  "));
      print(`Answer: ${answer}`);
      answers.push({ question: label, answer, sources: docs.map((d) => ({ id: d.id!, score: d.metadata.rge.score })), rationale: handler.records.at(-1)! });
    }
    return answers;
  } finally {
    await embeddings.dispose();
  }
}
