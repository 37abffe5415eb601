import { rgeProject } from "../../vitest.shared.js";

// Tests that run code in headless Chromium: the global setup finds (or installs) the browser once; each test file
// builds its pages with Vite and serves them on 127.0.0.1.
export default rgeProject("browser", {
  include: ["**/*.test.ts"],
  exclude: ["**/node_modules/**"],
  globalSetup: ["./global-setup.ts"],
  testTimeout: 120_000,
  hookTimeout: 120_000,
});
