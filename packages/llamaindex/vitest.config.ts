import { rgeProject } from "../../vitest.shared.js";

export default rgeProject("llamaindex", { setupFiles: ["./vitest.setup.ts"] });
