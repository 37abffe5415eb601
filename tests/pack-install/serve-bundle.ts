import { spawn } from "node:child_process";

/**
 * Starts `<command> ...<leading> <bundle> --port 0` (`rge-serve`, or `rge` with `serve`) and resolves with its address
 * once it prints it; `stop` sends SIGTERM.
 */
export async function serveBundle(
  [command, ...leading]: [string, ...string[]],
  bundleDir: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(command, [...leading, bundleDir, "--port", "0"], { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  let output = "";
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`rge-serve printed no address within ${options.timeoutMs} ms:\n${output}`)), options.timeoutMs);
      const onData = (chunk: Buffer) => {
        output += chunk;
        const match = output.match(/ on (http:\/\/127\.0\.0\.1:\d+)/);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`rge-serve exited ${code ?? signal}:\n${output}`));
      });
    });
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
