import * as ort from "onnxruntime-node";

/** Told of every ONNX Runtime session run in this process: what was fed, what came back, and how long it took. */
export type SessionRunObserver = (
  feeds: Readonly<Record<string, ort.Tensor>>,
  outputs: Readonly<Record<string, ort.Tensor>>,
  run: { /** Wall-clock milliseconds of the run, from the call to its outputs. */ ms: number },
) => void;

// The session class: onnxruntime-node's typings describe only its factory.
const sessionClass = (ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype;

/**
 * Calls `observer` after every `InferenceSession.run` in this process (the engine's included), for tests and
 * benchmarks that check what graphs see, count what crosses between host and device, or time each graph. Returns the function
 * that stops observing.
 *
 * @example
 * const stop = observeSessionRuns((feeds, outputs) => (uploaded += hostBytes(Object.values(feeds))));
 * await model.embedQuery({ text: "hi" });
 * stop();
 */
export function observeSessionRuns(observer: SessionRunObserver): () => void {
  const run = sessionClass.run;
  sessionClass.run = async function (this: ort.InferenceSession, ...args: Parameters<typeof run>) {
    const started = performance.now();
    const outputs = await run.apply(this, args);
    observer(args[0] as Record<string, ort.Tensor>, outputs as Record<string, ort.Tensor>, { ms: performance.now() - started });
    return outputs;
  } as typeof run;
  return () => {
    sessionClass.run = run;
  };
}

/** Bytes of the tensors that live on the host (GPU-resident ones are not counted). */
export function hostBytes(tensors: Iterable<ort.Tensor>): number {
  let total = 0;
  for (const t of tensors) if (t.location === "cpu") total += (t.data as ArrayBufferView).byteLength;
  return total;
}
