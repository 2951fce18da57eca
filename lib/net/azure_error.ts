/**
 * Reads what an Azure SDK error says about itself (HTTP status, service error code, network
 * error code, credential failure) without trusting its shape, so the store and secret clients
 * can turn it into a FluxOps error with a clear, credential-free message.
 * @module
 */

/** The parts of a thrown Azure SDK error that decide how to report it. */
export interface AzureErrorFacts {
  /** The error's class name (`RestError`, `AuthenticationError`, ...). */
  readonly name: string;
  /** The HTTP status, when the service answered. */
  readonly status?: number;
  /** The service's error code (`BlobNotFound`, `SecretNotFound`) or a network code. */
  readonly code?: string;
  /** The first line of the message. */
  readonly message: string;
  /** Failed to connect, resolve or stay connected: the service is unreachable. */
  readonly network: boolean;
  /** The server's TLS certificate was not trusted. */
  readonly tls: boolean;
  /** No token could be had from the credential. */
  readonly credential: boolean;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "REQUEST_SEND_ERROR",
]);

const CREDENTIAL_ERRORS = new Set([
  "CredentialUnavailableError",
  "AuthenticationError",
  "AggregateAuthenticationError",
  "AuthenticationRequiredError",
]);

/**
 * Extracts the facts of any thrown value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { azureErrorFacts } from "./azure_error.ts";
 * // What the Storage SDK throws for a missing blob, reduced to the fields that are read.
 * const err = Object.assign(new Error("The specified blob does not exist."), {
 *   name: "RestError",
 *   statusCode: 404,
 *   code: "BlobNotFound",
 * });
 * const facts = azureErrorFacts(err);
 * assert.ok(facts.status === 404 && facts.code === "BlobNotFound" && !facts.network);
 * ```
 */
export function azureErrorFacts(err: unknown): AzureErrorFacts {
  if (!(err instanceof Error)) {
    return { name: "Error", message: String(err), network: false, tls: false, credential: false };
  }
  const e = err as Error & {
    statusCode?: unknown;
    code?: unknown;
    details?: { errorCode?: unknown } | null;
  };
  const detail = e.details?.errorCode;
  const code = typeof detail === "string" ? detail : typeof e.code === "string" ? e.code : "";
  const message = e.message.split("\n")[0] ?? "";
  const status = typeof e.statusCode === "number" ? e.statusCode : undefined;
  return {
    name: e.name,
    ...(status !== undefined ? { status } : {}),
    ...(code ? { code } : {}),
    message,
    network: status === undefined && NETWORK_CODES.has(code),
    tls: status === undefined && /certificate|CERT_|SELF_SIGNED/i.test(`${code} ${message}`),
    credential: CREDENTIAL_ERRORS.has(e.name),
  };
}
