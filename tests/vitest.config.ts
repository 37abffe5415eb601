import { rgeProject } from "../vitest.shared.js";

export default rgeProject("e2e", { include: ["**/*.test.ts"], exclude: ["gpu/**", "browser/**", "**/node_modules/**"], testTimeout: 120_000 });
