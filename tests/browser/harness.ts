// The browser test harness: build a page with Vite, serve it on 127.0.0.1, open it in headless Chromium with the
// network guarded, and read back what it posts.
export { buildPage, type BuildPageOptions, type BuiltPage } from "./harness/build-page.js";
export { servePage, type ServePageOptions, type ServedPage } from "./harness/serve-page.js";
export { closeBrowsers, openPage, type OpenedPage, type OpenPageOptions } from "./harness/open-page.js";
export { waitForResult } from "./harness/wait-for-result.js";
export { screenshot } from "./harness/screenshot.js";
