import {
  EmptyInputError,
  ImageDecodeError,
  ImageShapeError,
  ImageSourceError,
  ImageTooLargeError,
  InputTooLongError,
  InvalidOptionError,
  NetworkDisabledError,
  NonFiniteOutputError,
  RemoteAuthError,
  RemoteError,
  type RgeError,
} from "../errors.js";
import type { ErrorBody } from "./embeddings-api.js";

type Details = Record<string, unknown>;
const num = (v: unknown) => (typeof v === "number" ? v : NaN);

/**
 * The errors a server reports about an input, rebuilt as the class the model throws in process, so code that
 * catches `EmptyInputError` (or branches on `code`) works the same against a server.
 */
const INPUT_ERRORS: Partial<Record<string, (message: string, details: Details) => RgeError>> = {
  RGE_EMPTY_INPUT: (m) => new EmptyInputError(m),
  RGE_INPUT_TOO_LONG: (m, d) => new InputTooLongError(m, num(d.tokens), num(d.limit)),
  RGE_IMAGE_UNDECODABLE: (m) => new ImageDecodeError(m),
  RGE_IMAGE_TOO_LARGE: (m) => new ImageTooLargeError(m),
  RGE_IMAGE_UNSUPPORTED_SOURCE: (m) => new ImageSourceError(m),
  RGE_IMAGE_UNSUPPORTED_SHAPE: (m, d) => new ImageShapeError(m, num(d.width), num(d.height)),
  RGE_NETWORK_DISABLED: (m) => new NetworkDisabledError(m),
  RGE_INVALID_OPTION: (m) => new InvalidOptionError(m),
  RGE_NON_FINITE_OUTPUT: (m, d) => new NonFiniteOutputError(m, typeof d.graph === "string" ? d.graph : ""),
};

/** The typed error for a server's error answer (`payload` is its parsed body, when it was JSON). */
export function errorFromResponse(url: string, status: number, payload: unknown): RgeError {
  const error = isErrorBody(payload) ? payload.error : undefined;
  if (status === 401) {
    return new RemoteAuthError(
      `The RGE server at ${url} refused the API key (${error ? error.message : "HTTP 401"}). Pass the key the server was started with (\`--api-key\` or RGE_API_KEY) as \`apiKey\`.`,
      url,
      status,
    );
  }
  const rebuild = error?.code ? INPUT_ERRORS[error.code] : undefined;
  if (rebuild && status < 500) return rebuild(error!.message, error!.details ?? {});
  const what = error ? error.message : `a body that is not an OpenAI error (${JSON.stringify(payload)?.slice(0, 200)})`;
  return new RemoteError(`The RGE server at ${url} answered ${status}: ${what}`, url, status, error?.code ?? null);
}

function isErrorBody(payload: unknown): payload is ErrorBody {
  const error = (payload as { error?: unknown } | null)?.error;
  return typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string";
}
