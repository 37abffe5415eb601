import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gradientPng, tempDir } from "@rge/core/testing";
import { demoBadgeQuestion, demoHeldout } from "@rge/example-demo-model";
import { prepareDemoModel } from "@rge/example-web-search/prepare-model";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildPage, closeBrowsers, openPage, screenshot, servePage, type BuiltPage, type ServedPage } from "./harness.js";

// examples/web-search end to end in headless Chromium: the demo model loads in the page's worker, the library
// fills, a user adds a text and an image, asks a held-out question, watches the rationale stream while the page
// keeps painting, and gets the right person first; then asks about a badge it uploads. The screenshot goes to tests/browser/.screenshots/.

const chromium = inject("chromium");
const executablePath = chromium.executablePath;
const example = join(import.meta.dirname, "..", "..", "examples", "web-search");
export const SCREENSHOT = join(import.meta.dirname, ".screenshots", "web-search.png");
const tmp = tempDir("rge-web-search-");
let page: BuiltPage;
let server: ServedPage;

beforeAll(async () => {
  if (!executablePath) return;
  await prepareDemoModel();
  // With the example's own vite.config.ts, as `npm run build` there builds it.
  page = await buildPage(example, { configFile: join(example, "vite.config.ts") });
  server = await servePage(page.dir);
});

afterAll(async () => {
  await closeBrowsers();
  await server?.close();
  page?.remove();
  tmp.remove();
});

if (!chromium.executablePath) it.skip(`needs Chromium: ${chromium.unavailable}`);

describe.runIf(executablePath)("examples/web-search in headless Chromium", () => {
  it("loads the demo model in a worker, adds documents, streams the rationale and ranks the right answer first, also for a badge it uploads", async () => {
    const opened = await openPage(server.url, { executablePath: executablePath! });
    const { page: p } = opened;
    const ready = (timeout = 180_000) => p.waitForSelector("body[data-state=ready]", { timeout });
    await ready();
    const heldout = demoHeldout();
    expect(await p.textContent("#library-count")).toBe(`(${heldout.candidates.length})`);

    const picture = join(tmp.dir, "sunset.png");
    writeFileSync(picture, await gradientPng(96, 64, 30));
    await p.fill("#add-texts", "a note that stays on this device");
    await p.setInputFiles("#add-images", picture);
    await p.click("#add-button");
    await p.waitForSelector("body[data-state=adding]", { state: "detached" }).catch(() => {});
    await ready();
    expect(await p.textContent("#library-count")).toBe(`(${heldout.candidates.length + 2})`);
    expect(await p.locator("#library img").count()).toBe(1);

    // While the model reasons, the page's own thread must stay free: count timer gaps and rationale updates.
    await p.evaluate(() => {
      const g = globalThis as unknown as { __probe: { gaps: number[]; texts: string[] } };
      g.__probe = { gaps: [], texts: [] };
      let last = performance.now();
      const timer = setInterval(() => {
        const now = performance.now();
        g.__probe.gaps.push(now - last);
        last = now;
      }, 20);
      const rationale = document.getElementById("rationale")!;
      const observer = new MutationObserver(() => g.__probe.texts.push(rationale.textContent ?? ""));
      observer.observe(rationale, { childList: true, characterData: true, subtree: true });
      new MutationObserver((_, self) => {
        if (document.body.dataset.state === "ready") {
          clearInterval(timer);
          observer.disconnect();
          self.disconnect();
        }
      }).observe(document.body, { attributes: true, attributeFilter: ["data-state"] });
    });
    const question = heldout.queries[0]!;
    await p.fill("#query-text", question.text);
    await p.click("#search-button");
    await p.waitForSelector("body[data-state=searching]", { timeout: 10_000 }).catch(() => {});
    await ready(60_000);
    const probe = await p.evaluate(() => (globalThis as unknown as { __probe: { gaps: number[]; texts: string[] } }).__probe);
    const rationale = (await p.textContent("#rationale"))!;
    const first = (await p.locator("#results li .label").first().textContent())!;
    console.log(
      `web-search: "${question.text}" → "${rationale}" → ${first} (${probe.texts.length} rationale updates; ` +
        `longest pause of the page's timer ${Math.max(...probe.gaps).toFixed(0)} ms; ${(await p.textContent("#timing"))!})`,
    );
    expect(rationale).toBe(question.rationale);
    expect(first).toBe(question.answer);
    // Streamed: the text grew through partial states before the final one.
    const partial = probe.texts.filter((t) => t.length > 0 && t.length < rationale.length && rationale.startsWith(t.trimEnd()));
    expect(partial.length).toBeGreaterThan(2);
    // The model runs in the worker: no long task on the page while it reasons.
    expect(Math.max(...probe.gaps)).toBeLessThan(500);
    expect(await p.locator("#results li").count()).toBe(10);

    // A question with a badge the user picks: the demo model says who is on it, then follows the two facts.
    const badge = demoBadgeQuestion();
    await p.fill("#query-text", badge.text);
    await p.setInputFiles("#query-image", badge.imagePath);
    await p.click("#search-button");
    await p.waitForSelector("body[data-state=searching]", { timeout: 10_000 }).catch(() => {});
    await ready(60_000);
    expect(await p.textContent("#rationale")).toBe(badge.rationale);
    expect(await p.locator("#query-preview").isVisible()).toBe(true);
    expect(await p.locator("#results li .label").first().textContent()).toBe(badge.answer);
    expect(await p.locator("#results li").count()).toBe(10);
    expect(await p.textContent("#status")).toMatch(/^Ready: wasm/);

    // The screenshot shows the badge question's rationale and answer.
    console.log(`web-search: screenshot in ${await screenshot(p, SCREENSHOT)}`);
    await opened.close();
    expect(opened.errors).toEqual([]);
    expect(opened.blockedRequests).toEqual([]);
  });
});
