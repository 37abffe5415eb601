/**
 * Resolves on a later turn of the event loop, after pending I/O and timers, so long work lets other callbacks
 * run. Node has `setImmediate`; browsers do not, and a `setTimeout(0)` chain there is clamped to 4 ms per call
 * after a few nested calls, so they get a `MessageChannel` message (delivered as a task, unclamped). Hand-written:
 * the polyfill packages for this target old browsers and patch globals.
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === "function") return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    // Typed as Node's worker_threads port, which lacks the DOM's `onmessage`; this runs only in browsers.
    (port1 as unknown as { onmessage: () => void }).onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(undefined);
  });
}
