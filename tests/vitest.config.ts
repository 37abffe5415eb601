import { rgeProject } from "../vitest.shared.js";

export default rgeProject("e2e", { include: ["**/*.test.ts"], testTimeout: 120_000 });
