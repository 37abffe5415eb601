import { chromium, type Browser, type Page } from "playwright-core";

/** A page open in headless Chromium, with what it logged and what the network guard stopped. */
export interface OpenedPage {
  page: Page;
  /** URLs the page tried to reach beyond 127.0.0.1/localhost; each was aborted. Tests expect it empty. */
  blockedRequests: string[];
  /** Uncaught errors of the page and its workers, and console errors. */
  errors: string[];
  /** Every console line of the page and its workers, as `[page warning] text`. */
  logs: string[];
  close(): Promise<void>;
}

export interface OpenPageOptions {
  /** The Chromium to drive (the browser suite's global setup provides it as `inject("chromium")`). */
  executablePath: string;
  /** Launch with WebGPU enabled (default: false). */
  webgpu?: boolean;
  /** Print the page's console to the test output as it comes (default: true). */
  echo?: boolean;
  /** Navigation timeout in ms (default: 30 000). */
  timeout?: number;
}

// Headless Chromium 156 offers WebGPU only behind --enable-unsafe-webgpu; with it, on a machine without a GPU,
// it picks SwiftShader's fallback adapter by itself (--use-angle=swiftshader, --use-webgpu-adapter=swiftshader
// and --enable-features=Vulkan change nothing there).
const WEBGPU_ARGS = ["--enable-unsafe-webgpu"];
// A second wall behind the request guard: no host but localhost and 127.0.0.1 resolves, so what the guard cannot
// see (Chromium's own background requests) cannot leave the machine either.
const OFFLINE_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"];
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

// One browser per launch flavour for the whole test file: vitest gives each file its own module instance.
const browsers = new Map<string, Promise<Browser>>();

function launch(executablePath: string, webgpu: boolean): Promise<Browser> {
  const key = `${executablePath} ${webgpu}`;
  let browser = browsers.get(key);
  if (!browser) {
    // --no-sandbox: tests run as root, where Chromium's sandbox refuses to start.
    browser = chromium.launch({ executablePath, headless: true, args: ["--no-sandbox", ...OFFLINE_ARGS, ...(webgpu ? WEBGPU_ARGS : [])] });
    browsers.set(key, browser);
  }
  return browser;
}

/** Closes the browsers this test file launched; call it in `afterAll`. */
export async function closeBrowsers(): Promise<void> {
  const open = [...browsers.values()];
  browsers.clear();
  await Promise.all(open.map(async (b) => (await b).close()));
}

/** Opens `url` in a fresh browser context whose requests beyond loopback are aborted and recorded. */
export async function openPage(url: string, options: OpenPageOptions): Promise<OpenedPage> {
  const browser = await launch(options.executablePath, options.webgpu ?? false);
  const context = await browser.newContext();
  const blockedRequests: string[] = [];
  // Context-wide, so requests from the page's workers are guarded too.
  await context.route("**/*", (route) => {
    const requested = route.request().url();
    if (isLoopback(requested)) return route.continue();
    blockedRequests.push(requested);
    return route.abort("blockedbyclient");
  });
  await context.routeWebSocket(
    (u) => !isLoopback(u.href),
    (ws) => {
      blockedRequests.push(ws.url());
      return ws.close();
    },
  );

  const page = await context.newPage();
  const opened: OpenedPage = { page, blockedRequests, errors: [], logs: [], close: () => context.close() };
  const echo = options.echo ?? true;
  const record = (source: string, type: string, text: string) => {
    const line = `[${source} ${type}] ${text}`;
    opened.logs.push(line);
    if (type === "error") opened.errors.push(line);
    if (echo) console.log(line);
  };
  page.on("console", (m) => record(m.worker() ? "worker" : "page", m.type(), m.text()));
  page.on("pageerror", (e) => record("page", "error", e.stack ?? e.message));
  page.on("crash", () => record("page", "error", "the page crashed"));
  await page.goto(url, { timeout: options.timeout ?? 30_000 });
  return opened;
}

function isLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === "data:" || protocol === "blob:" || protocol === "about:") return true;
  return LOOPBACK.has(hostname);
}
