import type { QueryEmbedding, RgeModelStats, Settled, TargetEmbedding } from "@rge/core";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { FairDispatcher } from "./fair-dispatcher.js";

/**
 * The server's Prometheus metrics (prom-client), in a registry of its own so that several servers in one process
 * do not share counters. Tokens per second is `rate(rge_tokens_total[1m])`.
 */
export class ServerMetrics {
  private readonly registry = new Registry();
  private readonly requests = new Counter({ name: "rge_requests_total", help: "Embedding requests answered, by side and outcome.", labelNames: ["side", "outcome"], registers: [this.registry] });
  private readonly items = new Counter({ name: "rge_items_total", help: "Items embedded, by side.", labelNames: ["side"], registers: [this.registry] });
  private readonly tokens = new Counter({ name: "rge_tokens_total", help: "Tokens processed: prompt tokens, and generated rationale tokens.", labelNames: ["kind"], registers: [this.registry] });
  private readonly latency = new Histogram({
    name: "rge_request_duration_seconds",
    help: "Time from a request's admission to its last item, by side.",
    labelNames: ["side"],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });

  constructor(queued: () => number, dispatcher: FairDispatcher, engine: () => RgeModelStats) {
    new Gauge({ name: "rge_queue_items", help: "Items admitted and not yet finished (waiting or with the engine).", registers: [this.registry], collect() { this.set(queued()); } });
    new Gauge({ name: "rge_engine_items", help: "Items with the engine now.", registers: [this.registry], collect() { this.set(dispatcher.inFlight); } });
    new Gauge({
      name: "rge_dispatch_occupancy",
      help: "Items with the engine over the dispatch window (1 = the engine is kept as full as the server allows).",
      registers: [this.registry],
      collect() {
        this.set(dispatcher.inFlight / dispatcher.window);
      },
    });
    this.engineMetrics(engine);
  }

  /** The engine's own batches, from `RgeModel.stats()`: counters of passes and rows, and occupancy between scrapes. */
  private engineMetrics(engine: () => RgeModelStats): void {
    const registers = [this.registry];
    const first = engine();
    let seen = { passes: first.passes, rows: first.rows };
    new Gauge({ name: "rge_engine_waiting", help: "Calls waiting in the engine's queue for a batch.", registers, collect() { this.set(engine().waiting); } });
    const passes = new Counter({ name: "rge_batch_passes_total", help: "Forward passes the engine ran (prefills and decode steps).", registers });
    const rows = new Counter({ name: "rge_batch_rows_total", help: "Rows those passes carried; rate(rows) / rate(passes) / batch size is the occupancy.", registers });
    new Gauge({
      name: "rge_batch_occupancy",
      help: "Mean rows per forward pass over the batch size since the last scrape (1 = every pass ran full; 0 when idle).",
      registers,
      collect() {
        const now = engine();
        const dPasses = now.passes - seen.passes;
        const dRows = now.rows - seen.rows;
        seen = { passes: now.passes, rows: now.rows };
        passes.inc(dPasses);
        rows.inc(dRows);
        this.set(dPasses > 0 ? dRows / dPasses / now.batchSize : 0);
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  observe(side: string, results: Settled<QueryEmbedding | TargetEmbedding>[], seconds: number): void {
    const ok = results.every((r) => r.status === "fulfilled");
    this.requests.inc({ side, outcome: ok ? "ok" : "error" });
    this.latency.observe({ side }, seconds);
    for (const r of results) {
      if (r.status !== "fulfilled") continue;
      this.items.inc({ side });
      this.tokens.inc({ kind: "prompt" }, r.value.tokens.prompt);
      if ("generated" in r.value.tokens) this.tokens.inc({ kind: "generated" }, r.value.tokens.generated);
    }
  }
}
