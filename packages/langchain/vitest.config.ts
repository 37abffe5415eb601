import { rgeProject } from "../../vitest.shared.js";

// LANCEDB_LOG: LanceDB's native logger warns "No existing dataset ... it will be created" for every new table.
export default rgeProject("langchain", { env: { LANCEDB_LOG: "error" } });
