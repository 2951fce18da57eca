/**
 * The one place where FluxOps error codes become HTTP statuses and JSON error bodies.
 * @module
 */
import { type ErrorCode, FluxError } from "../../lib/errors.ts";

const STATUS: Record<ErrorCode, number> = {
  invalid_input: 400,
  usage: 400,
  data_error: 400,
  invalid_model: 503,
  integrity_error: 503,
  model_not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  request_timeout: 408,
  unsupported_media_type: 415,
  method_not_allowed: 405,
  not_found: 404,
  unavailable: 503,
  store_error: 503,
};

/** An error that carries extra response headers (e.g. `Allow` for a 405). */
export class HttpError extends FluxError {
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    code: ErrorCode,
    message: string,
    headers: Record<string, string> = {},
    options?: ErrorOptions,
  ) {
    super(code, message, options);
    this.name = "HttpError";
    this.headers = headers;
  }
}

/** The HTTP status of an error code. */
export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

/** An error as the client sees it: a code and a message, never a stack trace. */
export interface ErrorBody {
  readonly status: number;
  readonly code: ErrorCode | "internal";
  readonly message: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Maps any thrown value to what the client sees; unknown errors become an opaque 500. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof FluxError) {
    return {
      status: statusOf(err.code),
      code: err.code,
      message: err.message,
      headers: err instanceof HttpError ? err.headers : {},
    };
  }
  return { status: 500, code: "internal", message: "internal error", headers: {} };
}
