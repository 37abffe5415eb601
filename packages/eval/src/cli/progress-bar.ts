import { Presets, SingleBar } from "cli-progress";
import type { MmebProgress } from "../run/evaluate-mmeb.js";

const PHASES = { target: "candidates", query: "queries (no reasoning)", "query-reasoning": "queries (reasoning)" } as const;

/**
 * A progress bar on stderr with an ETA, one bar per phase of each subset (candidates, then queries). Phases whose
 * items are all cached show nothing.
 */
export function progressBar(): { update: (p: MmebProgress) => void; stop: () => void } {
  const bar = new SingleBar(
    { format: "[{n}/{count}] {subset} {phase} [{bar}] {value}/{total} | ETA {eta_formatted}", hideCursor: true, etaBuffer: 64 },
    Presets.shades_classic,
  );
  let current = "";
  let running = false;
  const stop = () => {
    if (running) bar.stop();
    running = false;
  };
  return {
    update(p) {
      const id = `${p.subset}|${p.phase}`;
      const payload = { n: p.subsetIndex + 1, count: p.subsetCount, subset: p.subset, phase: PHASES[p.phase] };
      if (id !== current) {
        stop();
        current = id;
        if (p.total === 0) return;
        bar.start(p.total, p.done, payload);
        running = true;
        return;
      }
      if (running) bar.update(p.done, payload);
      if (running && p.done >= p.total) stop();
    },
    stop,
  };
}
