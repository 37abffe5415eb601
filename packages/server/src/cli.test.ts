import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { tempDir, writeTinyBundle } from "@rge/core/testing";
import { afterAll, describe, expect, it } from "vitest";

const pkg = join(import.meta.dirname, "..");
const tsx = join(pkg, "node_modules", ".bin", "tsx");
const scratch = tempDir();
afterAll(() => scratch.remove());

describe("rge-serve", () => {
  it("serves a bundle on 127.0.0.1, answers as documented, and on SIGTERM finishes the request in flight, then exits 0", async () => {
    const { dir } = writeTinyBundle(scratch.dir, { seed: 5, emb: "never" });
    const child = spawn(tsx, ["--conditions=@rge/source", join(pkg, "src", "cli.ts"), dir, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const lines = createInterface({ input: child.stdout });
    const banner = await new Promise<string>((resolve, reject) => {
      lines.on("line", (line) => line.includes(" on http") && resolve(line));
      child.on("close", () => reject(new Error(`rge-serve exited: ${stderr}`)));
    });
    const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)![1]!;

    const body = { model: "rge:query", input: ["What is in the picture?"], encoding_format: "float", max_new_tokens: 4 };
    const post = () => fetch(`${url}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const first = (await (await post()).json()) as { data: { embedding: number[]; rationale: string; stopped_by: string }[] };
    expect(first.data[0]!.embedding.length).toBeGreaterThan(0);
    expect(typeof first.data[0]!.rationale).toBe("string");

    // A long request (8 queries, 200-token rationales, no <emb>) is still running when SIGTERM arrives: it gets its answer.
    let stopping = false;
    lines.on("line", (line) => (stopping ||= line.includes("stopping")));
    body.input = Array.from({ length: 8 }, (_, i) => `Question number ${i}?`);
    body.max_new_tokens = 200;
    // `Connection: close` marks an answer sent while the server was stopping: the request was in flight at SIGTERM.
    const inFlight = post().then(async (r) => ({ status: r.status, json: (await r.json()) as { data: unknown[] }, connection: r.headers.get("connection") }));
    // SIGTERM only once the server holds the request: one still in the socket's buffer could meet a closing server.
    await expect.poll(async () => /rge_queue_items 8\b/.test(await (await fetch(`${url}/metrics`)).text()), { timeout: 20_000, interval: 10 }).toBe(true);
    child.kill("SIGTERM");
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.json.data).toHaveLength(8);
    expect(response.connection).toBe("close");
    expect(stopping).toBe(true);
    expect(await exited).toBe(0);
  });

  it("runs as core's `rge serve` too, found from the project that installed @rge/server", async () => {
    const { dir } = writeTinyBundle(join(scratch.dir, "via-rge"), { seed: 5 });
    const coreCli = join(pkg, "..", "core", "src", "cli", "main.ts");
    // cwd is this package: it finds itself by name, as a user's project finds its installed @rge/server.
    const child = spawn(tsx, ["--conditions=@rge/source", coreCli, "serve", dir, "--port", "0"], { cwd: pkg, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const banner = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on("line", (line) => line.includes(" on http") && resolve(line));
      child.on("close", () => reject(new Error(`rge serve exited: ${stderr}`)));
    });
    const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)![1]!;
    const response = await fetch(`${url}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: "a cat" }) });
    expect(response.status).toBe(200);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
