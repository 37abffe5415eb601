// The retrieval the pack-install test runs twice: in the scratch project on the installed tarballs, and in the test
// process on the workspace sources. Plain JavaScript, so that Node runs it in the scratch project as it is.

export const QUERY = { text: "Which picture shows a colour gradient?" };
export const DOCUMENTS = ["A sunny beach with palm trees.", "Quarterly revenue grew by four percent."];
const MAX_NEW_TOKENS = 16;

/**
 * Embeds one query (reasoning on) and the documents plus an image with @rge/core, then the query and documents
 * through @rge/langchain's RgeEmbeddings and a document through @rge/llamaindex's RgeLlamaEmbedding.
 * `packages` holds the three modules, so the caller decides where they come from.
 */
export async function retrieve({ core, langchain, llamaindex }, bundleDir, imagePath) {
  const model = await core.loadRgeModel(bundleDir, { maxNewTokens: MAX_NEW_TOKENS });
  try {
    const [query] = await model.embedQueries([QUERY]);
    const targets = await model.embedTargets([...DOCUMENTS.map((text) => ({ text })), { image: imagePath }]);
    const embeddings = new langchain.RgeEmbeddings({ model, maxNewTokens: MAX_NEW_TOKENS });
    const llama = new llamaindex.RgeLlamaEmbedding({ model, maxNewTokens: MAX_NEW_TOKENS });
    return {
      dimension: model.dimension,
      query: { embedding: [...query.embedding], rationale: query.rationale, stoppedBy: query.stoppedBy },
      targets: targets.map((t) => [...t.embedding]),
      scores: targets.map((t) => core.dot(query.embedding, t.embedding)),
      langchain: { query: await embeddings.embedQuery(QUERY.text), documents: await embeddings.embedDocuments(DOCUMENTS) },
      llamaindex: { document: await llama.getTextEmbedding(DOCUMENTS[0]) },
    };
  } finally {
    await model.dispose();
  }
}
