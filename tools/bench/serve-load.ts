/**
 * `pnpm bench:serve`: a load test of `rge-serve` on loopback that stops by itself.
 *
 * 1. Builds a model (the tiny random one, whose rationales end on `<emb>` after varied lengths, or `--bundle`) and
 *    computes in process the answer to every request body it will send: queries with reasoning, documents, items
 *    with images as data: URLs, and bad requests with the status and code they must get.
 * 2. Starts `rge-serve` in a child process, samples its resident memory every 250 ms, and through a preloaded
 *    probe (serve-probe.ts) counts the rows of its decoder runs and reads its memory after a full GC.
 * 3. Mixed load: `--connections` clients for `--seconds`, each sending a request and waiting for its answer.
 *    Every answer is checked against the in-process one; requests with no answer are counted as lost.
 * 4. Fairness: the latency of 1-item queries, and of 1-item documents, alone and then beside clients sending
 *    32-item queries.
 * 5. Drain: a burst of 32-item queries, SIGTERM while they run; each must be answered 200 and the server exit 0.
 *
 * The load loop is our own (Node's fetch) rather than autocannon: autocannon destroys its connections with
 * requests in flight when a timed run ends, so those requests could not be accounted for, and it builds response
 * bodies by appending chunk after chunk as strings, which splits multi-byte characters (the tiny model's rationales
 * are full of U+FFFD) and would report rationales as different when they are not.
 *
 * Exits 0 when nothing was lost or wrong, memory stayed flat and the drain held; 1 otherwise; 2 at the time cap.
 */
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { loadRgeModel } from "@rge/core";
import { tempDir, writeTinyBundle } from "@rge/core/testing";
import { BAD_BODIES, LoadBodies, type LoadBody } from "./serve-load-bodies.js";
import { Agreement, cycle, drive, percentile, PhaseRecord, ROUNDING, send } from "./serve-load-client.js";
import type { ProbeReport } from "./serve-probe.js";
import { cpuSeconds, startServer, type ServerProcess } from "./serve-process.js";

const { values } = parseArgs({
  options: {
    bundle: { type: "string" },
    connections: { type: "string", default: "16" },
    seconds: { type: "string", default: "20" },
    "max-seconds": { type: "string", default: "600" },
  },
});
const CONNECTIONS = Number(values.connections);
const SECONDS = Number(values.seconds);
const MAX_SECONDS = Number(values["max-seconds"]);
if (![CONNECTIONS, SECONDS, MAX_SECONDS].every((n) => Number.isInteger(n) && n > 0)) {
  console.error("usage: serve-load.ts [--bundle DIR] [--connections 16] [--seconds 20] [--max-seconds 600]");
  process.exit(2);
}
/** The mixed pool: about 2,300 items, more than the server's result cache holds (1024), so no answer comes from it. */
const MIXED_BODIES = 800;
const FAIR_SECONDS = 5;
const FAIR_CLIENTS = 4;
const DRAIN_REQUESTS = 16;
/** Memory counts as flat when what JavaScript holds after a full GC grows by no more than this over idle. */
const FLAT_MB = 16;

const log = (line: string) => console.log(line);
const scratch = tempDir("rge-serve-load-");
let server: ServerProcess | undefined;
setTimeout(() => {
  console.error(`serve-load: stopped at the ${MAX_SECONDS} s cap`);
  server?.child.kill("SIGKILL");
  scratch.remove();
  process.exit(2);
}, MAX_SECONDS * 1000).unref();

let failures = 0;
try {
  await main();
} finally {
  server?.child.kill("SIGKILL");
  scratch.remove();
}
process.exitCode = failures ? 1 : 0;

async function main(): Promise<void> {
  const bundle = values.bundle ?? writeTinyBundle(scratch.dir, { seed: 11, emb: "sometimes" }).dir;
  log(`serve-load: ${cpus().length} CPUs (${cpus()[0]?.model}), Node ${process.version}; client and server share them`);
  log(`model: ${values.bundle ?? "tiny random bundle (emb: sometimes)"}`);
  const bodies = await prepare(bundle);

  server = await startServer(bundle);
  log(`server: ${server.lines.at(-1)} (pid ${server.child.pid})`);
  await new Promise((r) => setTimeout(r, 500));
  const idle = await server.probe();
  const agreement = new Agreement();
  const { quarter, end } = await mixedPhase(server, bodies.mixed, idle, agreement);
  await fairnessPhase(server.url, bodies, agreement);
  const afterFairness = await server.probe();
  log(`\nembeddings checked: ${agreement.embeddings} (bit-identical to in-process: ${agreement.bitIdentical}; max |Δ| ${agreement.maxDelta.toExponential(2)}, allowed ${ROUNDING}); rationales checked equal: ${agreement.rationales}`);
  memoryReport(server, idle, quarter, end, afterFairness);
  await drain(server, bodies.drain, agreement);
  server.rss.stop();
  log(failures ? `\nFAILED: ${failures} check(s)` : `\nall checks passed`);
}

/** Every body the run sends, each with its answer computed in process (one call per body, the cache off). */
async function prepare(bundle: string) {
  const t0 = performance.now();
  const model = await loadRgeModel(bundle, { cacheSize: 0 });
  const make = new LoadBodies(model);
  const bodies = {
    mixed: await repeat(MIXED_BODIES, (i) => mixedBody(make, i)),
    // 1100 distinct 1-item queries and documents and 40 × 32 queries: each pool outruns the server's 1024-entry cache.
    singles: await repeat(1100, () => make.queries("1-item query", 1, { maxNewTokens: 32 })),
    singleDocuments: await repeat(1100, () => make.documents("1-item document", 1)),
    batches: await repeat(40, () => make.queries("32-item query", 32, { maxNewTokens: 32 })),
    drain: await repeat(DRAIN_REQUESTS, () => make.queries("drain", 32, { maxNewTokens: 96 })),
  };
  await model.dispose();
  const all = Object.values(bodies).flat();
  log(`in-process answers: ${all.length} bodies, ${all.reduce((s, b) => s + b.items, 0)} items, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return bodies;
}

/** The mixed load, with the server's memory taken a quarter of the way in and at the end. */
async function mixedPhase(server: ServerProcess, bodies: LoadBody[], idle: ProbeReport, agreement: Agreement) {
  log(`\nmixed load: ${CONNECTIONS} clients for ${SECONDS} s over ${bodies.length} bodies (45% queries, 35% documents, 10% with an image, 10% bad)`);
  const pid = server.child.pid!;
  const cpuBefore = { server: cpuSeconds(pid), client: process.cpuUsage() };
  // The probe's collection pauses the server once, for some tens of ms, while the load runs.
  const quarter = new Promise<ProbeReport>((resolve) => setTimeout(() => resolve(server.probe()), SECONDS * 250));
  const load = await drive(server.url, [{ connections: CONNECTIONS, next: cycle(bodies) }], SECONDS, agreement);
  const serverCpu = cpuSeconds(pid) - cpuBefore.server;
  const clientCpu = (({ user, system }) => (user + system) / 1e6)(process.cpuUsage(cpuBefore.client));
  const end = await server.probe();
  report(load, ["query", "document", "image", "bad"]);
  log(`CPU over the ${load.seconds().toFixed(1)} s: server ${serverCpu.toFixed(1)} s, load client ${clientCpu.toFixed(1)} s`);
  const steps = end.decodeSteps - idle.decodeSteps;
  const stepRows = (end.decodeRows - idle.decodeRows) / steps;
  const prefills = end.prefills - idle.prefills;
  log(`batch occupancy (decoder runs counted in the server by serve-probe.ts; rge-serve keeps loadRgeModel's batchSize, 8):`);
  log(`  ${steps} reasoning steps, ${stepRows.toFixed(2)} rows each on average (${((stepRows / 8) * 100).toFixed(0)}% of 8); ${prefills} prompt passes (documents, and queries as they join), ${((end.prefillRows - idle.prefillRows) / prefills).toFixed(2)} rows each; largest ${end.maxRows}`);
  const inFlight = load.meanInFlight();
  log(`  demand the clients kept in flight: ${inFlight.requests.toFixed(1)} requests, ${inFlight.items.toFixed(1)} items on average`);
  const trace = server.rss.samples.filter((s) => s.at >= load.startedAt && s.at <= load.endedAt).filter((_, i) => i % 8 === 0);
  log(`server RSS during the load, every 2 s (MB): ${trace.map((s) => s.mb.toFixed(0)).join(" ")}`);
  return { quarter: await quarter, end };
}

/** 1-item queries, then 1-item documents: alone, then beside clients sending 32-item queries. */
async function fairnessPhase(url: string, bodies: Awaited<ReturnType<typeof prepare>>, agreement: Agreement): Promise<void> {
  log(`\nfairness: ${FAIR_CLIENTS} clients of 1-item requests for ${FAIR_SECONDS} s alone, then ${FAIR_SECONDS} s beside ${FAIR_CLIENTS} clients of 32-item queries`);
  const nextBatch = cycle(bodies.batches);
  const rows: [string, PhaseRecord, string][] = [];
  for (const [name, kind, next] of [["queries", "1-item query", cycle(bodies.singles)], ["documents", "1-item document", cycle(bodies.singleDocuments)]] as const) {
    const alone = await drive(url, [{ connections: FAIR_CLIENTS, next }], FAIR_SECONDS, agreement);
    const beside = await drive(url, [{ connections: FAIR_CLIENTS, next }, { connections: FAIR_CLIENTS, next: nextBatch }], FAIR_SECONDS, agreement);
    rows.push([`1-item ${name} alone`, alone, kind], [`1-item ${name} beside 32-item`, beside, kind], [`32-item queries beside 1-item ${name}`, beside, "32-item query"]);
  }
  log(`${"".padEnd(42)}${"requests".padStart(9)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}${"max ms".padStart(9)}`);
  for (const [name, record, kind] of rows) latencyLine(name, record, kind);
  for (const record of new Set(rows.map(([, record]) => record))) tally(record);
}

/**
 * The server's RSS rises and falls by some 100 MB under this load, outside the JS heap (ONNX Runtime and malloc
 * keep freed memory for a while and later return it), so it is reported but not judged. Flatness is judged on what
 * JavaScript holds after a full collection, the JS heap and external buffers: a request leaking its inputs, results
 * or tensors grows them. The growth from idle includes the server's caches filling.
 */
function memoryReport(server: ServerProcess, idle: ProbeReport, quarter: ProbeReport, end: ProbeReport, afterFairness: ProbeReport): void {
  const { rss } = server;
  const peak = rss.peak();
  const afterPeak = rss.samples.filter((s) => s.at >= rss.samples.find((p) => p.mb === peak)!.at);
  log(`server RSS sampled every 250 ms (MB): idle ${rss.samples[0]!.mb.toFixed(0)}, peak ${peak.toFixed(0)}, lowest after the peak ${Math.min(...afterPeak.map((s) => s.mb)).toFixed(0)}, now ${rss.now().toFixed(0)}`);
  const snapshots: [string, ProbeReport][] = [["idle", idle], ["a quarter into the mixed load", quarter], ["end of the mixed load", end], ["end of the fairness load", afterFairness]];
  log(`after a full GC (MB):${"RSS".padStart(25)}${"JS heap".padStart(9)}${"of V8's".padStart(9)}${"external".padStart(10)}`);
  for (const [name, r] of snapshots) log(`  ${name.padEnd(32)}${[r.rssMb, r.heapUsedMb, r.heapTotalMb, r.externalMb].map((v, i) => v.toFixed(1).padStart(i ? 9 : 12)).join("")}`);
  const held = (r: ProbeReport) => r.heapUsedMb + r.externalMb;
  const growth = Math.max(held(end), held(afterFairness)) - held(idle);
  const flat = growth <= FLAT_MB;
  log(`  memory ${flat ? "flat" : "GROWING"}: JS heap + external ${growth >= 0 ? "+" : ""}${growth.toFixed(1)} MB over idle after the load (allowed ${FLAT_MB})`);
  if (!flat) failures++;
}

/** Mixed pool, by position: 9 in 20 queries, 7 documents, 2 with an image, 2 bad. */
async function mixedBody(make: LoadBodies, i: number): Promise<LoadBody> {
  const r = i % 20;
  const encoding = i % 2 ? "base64" : "float";
  if (r < 9) return make.queries("query", 1 + (i % 4), { encoding, ...(r === 8 ? { reasoning: false } : { maxNewTokens: [128, 8, 24, 48][(i >> 2) % 4]! }) });
  if (r < 16) return make.documents("document", 1 + (i % 8), { encoding });
  if (r === 16) return make.queries("image", 2, { image: true, encoding });
  if (r === 17) return make.documents("image", 2, { image: true, encoding });
  return BAD_BODIES[(Math.floor(i / 20) * 2 + r - 18) % BAD_BODIES.length]!;
}

async function repeat(count: number, body: (i: number) => Promise<LoadBody>): Promise<LoadBody[]> {
  const bodies: LoadBody[] = [];
  for (let i = 0; i < count; i++) bodies.push(await body(i));
  return bodies;
}

function report(record: PhaseRecord, kinds: string[]): void {
  const seconds = record.seconds();
  log(`${"kind".padEnd(10)}${"requests".padStart(10)}${"req/s".padStart(9)}${"items/s".padStart(9)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}${"max ms".padStart(9)}`);
  const row = (name: string, latencies: number[], items: number) => {
    const sorted = [...latencies].sort((a, b) => a - b);
    const cells = [sorted.length, sorted.length / seconds, items / seconds, percentile(sorted, 0.5), percentile(sorted, 0.99), sorted.at(-1) ?? NaN];
    log(name.padEnd(10) + cells.map((v, i) => (i === 0 ? String(v) : v.toFixed(1)).padStart(i === 0 ? 10 : 9)).join(""));
  };
  for (const kind of kinds) row(kind, record.latencies.get(kind) ?? [], record.embedded.get(kind) ?? 0);
  row("all", [...record.latencies.values()].flat(), [...record.embedded.values()].reduce((s, n) => s + n, 0));
  tally(record);
}

/** Prints the fate of every request of a phase and counts a failure if any was lost or answered wrong. */
function tally(record: PhaseRecord): void {
  log(`  ${record.sent} sent, ${record.answered} answered, lost ${record.lost}, mismatched ${record.mismatched}, 429 (queue full) ${record.busy}`);
  for (const problem of record.problems) log(`    ${problem}`);
  if (record.lost || record.mismatched || record.answered !== record.sent) failures++;
}

function latencyLine(name: string, record: PhaseRecord, kind: string): void {
  const sorted = [...(record.latencies.get(kind) ?? [])].sort((a, b) => a - b);
  log(`  ${name.padEnd(40)}${String(sorted.length).padStart(9)}${[percentile(sorted, 0.5), percentile(sorted, 0.99), sorted.at(-1) ?? NaN].map((v) => v.toFixed(1).padStart(9)).join("")}`);
}

/** Sends the burst, SIGTERMs the server while it runs, and checks that the requests in flight then are all answered 200. */
async function drain(server: ServerProcess, bodies: LoadBody[], agreement: Agreement): Promise<void> {
  const record = new PhaseRecord();
  const done: boolean[] = bodies.map(() => false);
  const answers = bodies.map((body, i) => send(server.url, body, record, agreement).finally(() => (done[i] = true)));
  await new Promise((r) => setTimeout(r, 100));
  const inFlight = done.flatMap((d, i) => (d ? [] : [i]));
  server.child.kill("SIGTERM");
  const statuses = await Promise.all(answers);
  const code = await server.exited;
  const answered = inFlight.filter((i) => statuses[i] === 200).length;
  log(`\ndrain: ${inFlight.length} in flight at SIGTERM, ${answered} answered 200, exit ${code}`);
  tally(record);
  if (inFlight.length === 0 || answered !== inFlight.length || code !== 0 || !server.lines.some((l) => l.includes("stopping"))) failures++;
}
