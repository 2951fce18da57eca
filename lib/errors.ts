/**
 * Typed errors shared by every FluxOps entry point. Each carries a stable `code` that clients
 * and scripts can act on; entry points map codes to exit statuses or HTTP statuses in one place.
 * @module
 */

/** Codes a FluxOps error can carry. */
export type ErrorCode =
  | "invalid_input"
  | "usage"
  | "data_error"
  | "invalid_model"
  | "integrity_error"
  | "model_not_found"
  | "conflict"
  | "payload_too_large"
  | "request_timeout"
  | "unsupported_media_type"
  | "method_not_allowed"
  | "not_found"
  | "unavailable"
  | "store_error";

/** Base class of every error FluxOps raises on purpose. */
export class FluxError extends Error {
  /** A stable, machine-readable code. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = "FluxError";
  }
}

/** Input to an API or function was malformed: wrong shape, type or value. */
export class InvalidInput extends FluxError {
  /** How many rows the refused input carried, where the parser got as far as counting them. */
  rows: number | undefined;
  constructor(message: string, options?: ErrorOptions & { rows?: number }) {
    super("invalid_input", message, options);
    this.name = "InvalidInput";
    this.rows = options?.rows;
  }
}

/** A command line could not be understood. */
export class UsageError extends FluxError {
  constructor(message: string, options?: ErrorOptions) {
    super("usage", message, options);
    this.name = "UsageError";
  }
}

/** A data file could not be used: messages name the file, line and column. */
export class DataError extends FluxError {
  constructor(message: string, options?: ErrorOptions) {
    super("data_error", message, options);
    this.name = "DataError";
  }
}

/** A model file is not a FluxOps model or is structurally broken. */
export class InvalidModel extends FluxError {
  constructor(message: string, options?: ErrorOptions) {
    super("invalid_model", message, options);
    this.name = "InvalidModel";
  }
}

/** A model's checksum or signature does not match its content. */
export class IntegrityError extends FluxError {
  constructor(message: string, options?: ErrorOptions) {
    super("integrity_error", message, options);
    this.name = "IntegrityError";
  }
}

/** No model exists where one was asked for. */
export class ModelNotFound extends FluxError {
  constructor(message: string, options?: ErrorOptions) {
    super("model_not_found", message, options);
    this.name = "ModelNotFound";
  }
}

/** Returns a one-line description of any thrown value, for logs and CLI messages. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split("\n")[0] ?? err.name;
  return String(err);
}

/** A conditional write lost a race or would overwrite something immutable. */
export class ConflictError extends FluxError {
  constructor(message: string, options?: ErrorOptions) {
    super("conflict", message, options);
    this.name = "ConflictError";
  }
}

/** A model store could not be reached or refused an operation (network, permissions, disk). */
export class StoreError extends FluxError {
  constructor(message: string, options?: ErrorOptions) {
    super("store_error", message, options);
    this.name = "StoreError";
  }
}

/**
 * A training worker could not start, crashed or reported an error; the training was stopped
 * and every worker ended. Code `unavailable`: the failure is the machine's, not the input's.
 */
export class WorkerFailed extends FluxError {
  constructor(message: string, options?: ErrorOptions) {
    super("unavailable", message, options);
    this.name = "WorkerFailed";
  }
}
