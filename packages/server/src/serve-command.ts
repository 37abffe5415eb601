/**
 * The serve command, run by the `rge-serve` bin and by core's `rge serve` (which finds this package where the user
 * installed it): loads one model and serves it over HTTP (see `createRgeServer`) until SIGTERM or SIGINT, which stop
 * accepting, finish the requests in flight and return.
 */
import { parseArgs } from "node:util";
import { loadRgeModel, RgeError, type RgeDevice, type RgeDtype } from "@rge/core";
import { createRgeServer } from "./server.js";

export const SERVE_USAGE = `rge-serve <bundle-dir | org/name> [--host 127.0.0.1] [--port 8080] [--device cpu|cuda|webgpu|auto]
          [--dtype fp32|fp16|q8|q4] [--api-key KEY] [--allow-network] [--max-items 256] [--model-name rge] [--log]

Serves the model with the OpenAI-compatible POST /v1/embeddings (plus GET /v1/models, /health, /ready). The API key
may also come from RGE_API_KEY. --allow-network lets it pull a hub id that is not cached and fetch http(s) images.`;

/** Runs `rge-serve` with these arguments until stopped; resolves to the process exit code (an `RgeError` is printed, 1). */
export async function runServe(argv: string[]): Promise<number> {
  try {
    return await serve(argv);
  } catch (error) {
    if (!(error instanceof RgeError)) throw error;
    console.error(`rge-serve: ${error.message} [${error.code}]`);
    return 1;
  }
}

async function serve(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "8080" },
        device: { type: "string" },
        dtype: { type: "string" },
        "api-key": { type: "string" },
        "allow-network": { type: "boolean" },
        "max-items": { type: "string" },
        "model-name": { type: "string" },
        log: { type: "boolean" },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${SERVE_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || !Number.isInteger(Number(values.port))) {
    console.error(SERVE_USAGE);
    return 2;
  }
  const model = await loadRgeModel(positionals[0]!, {
    ...(values.device ? { device: values.device as RgeDevice } : {}),
    ...(values.dtype ? { dtype: values.dtype as RgeDtype } : {}),
    ...(values["allow-network"] ? { allowNetwork: true } : {}),
  });
  const apiKey = values["api-key"] ?? process.env.RGE_API_KEY;
  const server = await createRgeServer(model, {
    ...(apiKey ? { apiKey } : {}),
    ...(values["max-items"] ? { maxItems: Number(values["max-items"]) } : {}),
    ...(values["model-name"] ? { modelName: values["model-name"] } : {}),
    ...(values.log ? { logger: true } : {}),
  });
  const address = await server.listen({ host: values.host, port: Number(values.port) });
  console.log(`rge-serve: ${positionals[0]} (${model.device}, ${model.dtype}, ${model.dimension} dims) on ${address}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  console.log("rge-serve: stopping; finishing requests in flight");
  await server.close();
  await model.dispose();
  return 0;
}
