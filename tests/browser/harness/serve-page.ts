import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import sirv from "sirv";

/** A page served on 127.0.0.1 until `close()`. */
export interface ServedPage {
  /** Base URL with a trailing slash, e.g. `http://127.0.0.1:41234/`. */
  url: string;
  /** Paths requested so far, in order, with the status each got ("200 /assets/ort.wasm"; "HEAD 200 /x" for other methods than GET). */
  requests: string[];
  close(): Promise<void>;
}

export interface ServePageOptions {
  /** Extra directories served under URL prefixes, e.g. `{ "/bundle/": bundleDir }` (default: none). */
  mounts?: Record<string, string>;
}

/**
 * Serves `dir` statically on 127.0.0.1 at a random port. Every response carries COOP/COEP so the page is
 * cross-origin isolated: without that, SharedArrayBuffer is missing and onnxruntime-web runs single-threaded.
 * MIME types come from sirv (mrmime): `.wasm` application/wasm, `.js`/`.mjs` text/javascript, which
 * `WebAssembly.instantiateStreaming` and module workers require.
 */
export async function servePage(dir: string, options: ServePageOptions = {}): Promise<ServedPage> {
  // dev: files are looked up on each request, so a test may write into a mount after the server starts.
  // ETags (size and mtime) let a page's cache tell a replaced file from the one it kept.
  const serve = (root: string) => sirv(root, { dev: true, etag: true });
  const mounts = Object.entries(options.mounts ?? {}).map(([prefix, root]) => ({ prefix: withSlashes(prefix), handler: serve(root) }));
  const page = serve(dir);
  const requests: string[] = [];

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? "/";
    res.on("finish", () => requests.push(`${req.method === "GET" ? "" : `${req.method} `}${res.statusCode} ${path}`));
    res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
    res.setHeader("Cross-Origin-Embedder-Policy", "require-corp");
    res.setHeader("Cache-Control", "no-store");
    const mount = mounts.find((m) => path.startsWith(m.prefix));
    if (mount) req.url = path.slice(mount.prefix.length - 1);
    (mount?.handler ?? page)(req, res, () => {
      res.statusCode = 404;
      res.end(`not found: ${path}`);
    });
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Chromium keeps connections alive; without this, close() waits for the browser to go.
        server.closeAllConnections();
      }),
  };
}

function withSlashes(prefix: string): string {
  return `/${prefix.replace(/^\/+|\/+$/g, "")}/`;
}
