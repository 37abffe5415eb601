import { InvalidOptionError } from "@rge/core";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { withImageAsText } from "./image-as-text.js";
import type { StoreConvention } from "./store-convention.js";

/** What `@langchain/community`'s `LanceDB` store exposes that the convention uses (its `table` is LanceDB's `Table`). */
interface LanceDbStore {
  textKey?: string;
  table?: {
    schema(): Promise<{ fields: { name: string }[] }>;
    addColumns(columns: { name: string; valueSql: string }[]): Promise<unknown>;
  };
}

/**
 * `@langchain/community`'s LanceDB store writes each metadata field as a column of a table whose schema the
 * first batch fixes, and returns LanceDB's `_distance` (squared L2, the query's default) in the metadata
 * with no score. So: new metadata fields become nullable columns before a batch is added, images are
 * stored as text, and a hit's score is the cosine similarity of unit vectors, `1 - _distance / 2`, with
 * `_distance` and the nulls of columns a document never had removed from its metadata.
 */
export const lanceDbConvention: StoreConvention = {
  async prepare(store, documents) {
    const prepared = documents.map((d) => withoutNulls(withImageAsText(d)));
    await addMissingColumns(store as unknown as LanceDbStore, prepared);
    return prepared;
  },
  readHit(_store, document, score) {
    const { _distance: distance, ...rest } = document.metadata;
    const metadata = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null));
    const read = new Document({ pageContent: document.pageContent, metadata, ...(document.id !== undefined ? { id: document.id } : {}) });
    return { document: read, score: typeof distance === "number" ? 1 - distance / 2 : (score as number) };
  },
};

/** Nulls add nothing to a row, and a first batch of only nulls would give a column of arrow type Null, which holds nothing else. */
function withoutNulls(document: DocumentInterface): DocumentInterface {
  for (const [key, value] of Object.entries(document.metadata)) if (value === null || value === undefined) delete document.metadata[key];
  return document;
}

async function addMissingColumns(store: LanceDbStore, documents: DocumentInterface[]): Promise<void> {
  const table = store.table;
  if (!table) return; // the first batch creates the table, with a column for every field it has
  const known = new Set([...(await table.schema()).fields.map((f) => f.name), "vector", store.textKey ?? "text"]);
  const missing = new Map<string, string>();
  for (const document of documents) {
    for (const [key, value] of Object.entries(document.metadata)) {
      if (!known.has(key) && !missing.has(key)) missing.set(key, sqlType(key, value));
    }
  }
  if (missing.size > 0) await table.addColumns([...missing].map(([name, type]) => ({ name, valueSql: `CAST(NULL AS ${type})` })));
}

/** The SQL type of a new column for `value`; JS numbers are float64 as in the columns LanceDB infers. */
function sqlType(key: string, value: unknown): string {
  if (typeof value === "string") return "STRING";
  if (typeof value === "number") return "DOUBLE";
  if (typeof value === "boolean") return "BOOLEAN";
  if (typeof value === "bigint") return "BIGINT";
  if (value instanceof Uint8Array) return "BINARY";
  throw new InvalidOptionError(
    `metadata.${key} is ${Array.isArray(value) ? "an array" : "an object"}, and the LanceDB table has no "${key}" column: its columns were fixed by the ` +
      `first documents added, and a new one can be added only for text, numbers, booleans or bytes. Give "${key}" to the first documents ` +
      `added (or create the table with that column), or store it as a JSON string.`,
  );
}
