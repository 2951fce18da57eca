/**
 * The typed error of secret look-ups (Key Vault, key files, environment). `reason` says what
 * went wrong in words a script can match; `code` is the shared FluxOps code it maps to.
 * Messages name the vault, secret or file, never the secret's value.
 * @module
 */
import { type ErrorCode, FluxError } from "../errors.ts";

/** What went wrong while reading a secret. */
export type SecretFailure =
  /** The vault has no such secret (or version), or the key file does not exist. */
  | "secret_not_found"
  /** The vault could not be reached: connection refused, DNS, TLS trust, timeout. */
  | "vault_unreachable"
  /** The vault answered 401/403: the identity lacks the "Key Vault Secrets User" role. */
  | "access_denied"
  /** No token could be had for the vault (managed identity or login not available). */
  | "credential_failed"
  /** The secret was read but is unusable (empty, too short). */
  | "bad_secret";

const CODES: Record<SecretFailure, ErrorCode> = {
  secret_not_found: "not_found",
  vault_unreachable: "unavailable",
  access_denied: "store_error",
  credential_failed: "store_error",
  bad_secret: "invalid_input",
};

/** A secret could not be read or used. */
export class SecretError extends FluxError {
  /** The specific failure; `code` is the broader FluxOps code. */
  readonly reason: SecretFailure;
  constructor(reason: SecretFailure, message: string) {
    super(CODES[reason], message);
    this.reason = reason;
    this.name = "SecretError";
  }
}
