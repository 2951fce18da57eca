/**
 * Waiting out Azure RBAC propagation. A role assignment made by `terraform apply` is used seconds
 * later (the signing-key secret read, the package and model uploads, the trainer's vault read),
 * and until it propagates Azure answers 403: Key Vault `Forbidden` with inner code
 * `ForbiddenByRbac` ("...please observe propagation time"), Blob Storage
 * `AuthorizationPermissionMismatch`, ARM `AuthorizationFailed`. Microsoft documents "up to 10
 * minutes" for assignments to take effect; in practice it is seconds to a few minutes
 * (terraform-provider-azurerm#23927, AVM key-vault#78), and `cleanup:dev` rebuilds dev nightly,
 * so the first deploy after each rebuild meets it.
 *
 * So those 403s are retried with backoff for a bounded time (default 5 min, `FLUXOPS_RBAC_WAIT_SECONDS`
 * or an option), saying once what is being waited for. Only the codes above (and Key Vault's
 * access-policy `AccessDenied`, which also propagates) are waited for; a 403 for a reason that
 * time does not cure (firewall, disabled secret, a wrong key or SAS) fails at once. Whether
 * Azure ever answers a bare `Forbidden` without an inner code for a missing role is not
 * documented: it is treated as propagation when its message says "not authorized".
 * @module
 */
import { FluxError } from "../errors.ts";
import { azureErrorFacts } from "./azure_error.ts";

/** The default longest wait for a role assignment to take effect, in seconds. */
export const DEFAULT_RBAC_WAIT_SECONDS = 300;

/** Service codes of a 403 that role propagation explains. */
export const PROPAGATION_CODES: ReadonlySet<string> = new Set([
  "ForbiddenByRbac",
  "AccessDenied",
  "AuthorizationPermissionMismatch",
  "AuthorizationFailed",
]);

/** The longest wait from `FLUXOPS_RBAC_WAIT_SECONDS`, else the default, in ms. */
export function rbacWaitMsFromEnv(
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): number {
  let text: string | undefined;
  try {
    text = env("FLUXOPS_RBAC_WAIT_SECONDS")?.trim();
  } catch {
    text = undefined; // no permission to read it: the default
  }
  if (!text) return DEFAULT_RBAC_WAIT_SECONDS * 1000;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new FluxError(
      "invalid_input",
      `FLUXOPS_RBAC_WAIT_SECONDS: expected a number of seconds >= 0, got ${JSON.stringify(text)}`,
    );
  }
  return Math.round(seconds * 1000);
}

/** The inner error code of a Key Vault or ARM error body, when the error carries one. */
function innerCode(err: unknown): string | undefined {
  const e = err as {
    details?: unknown;
    response?: { bodyAsText?: unknown; parsedBody?: unknown };
  };
  const bodies: unknown[] = [e?.details, e?.response?.parsedBody];
  const text = e?.response?.bodyAsText;
  if (typeof text === "string" && text.startsWith("{")) {
    try {
      bodies.push(JSON.parse(text));
    } catch { /* not JSON */ }
  }
  for (const body of bodies) {
    type Inner = { code?: unknown };
    const error = (body as { error?: { innererror?: Inner; innerError?: Inner } } | undefined)
      ?.error;
    // The Key Vault SDK deserialises `innererror` as `innerError`; raw bodies keep the wire name.
    const code = (error?.innerError ?? error?.innererror)?.code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/** Why a 403 is waited for: its code, or undefined when it is not a propagation 403. */
export function propagation403(err: unknown): string | undefined {
  const facts = azureErrorFacts(err);
  if (facts.status !== 403) return undefined;
  const inner = innerCode(err);
  if (inner !== undefined) return PROPAGATION_CODES.has(inner) ? inner : undefined;
  if (facts.code && PROPAGATION_CODES.has(facts.code)) return facts.code;
  if (facts.code === "Forbidden" && /not authori[sz]ed/i.test(facts.message)) return "Forbidden";
  return undefined;
}

/** Still 403 once the wait was over: the role is missing, not slow. */
export class RoleNotEffective extends Error {
  /** How long it waited, in ms. */
  readonly waitedMs: number;
  /** The 403's service code. */
  readonly code: string;
  constructor(cause: unknown, waitedMs: number, code: string) {
    super(`still HTTP 403 ${code} after waiting ${Math.round(waitedMs / 1000)} s`, { cause });
    this.name = "RoleNotEffective";
    this.waitedMs = waitedMs;
    this.code = code;
  }
}

/** Options of {@link waitForRole}. */
export interface RoleWaitOptions {
  /** Longest wait in ms. Default {@link rbacWaitMsFromEnv}. 0 turns waiting off. */
  readonly waitMs?: number;
  /** First delay between attempts, in ms; doubles up to `maxDelayMs`. Default 1 000. */
  readonly delayMs?: number;
  /** Longest delay between attempts, in ms. Default 15 000. */
  readonly maxDelayMs?: number;
  /** Where the waiting is reported. Default `console.error`. */
  readonly log?: (line: string) => void;
}

/**
 * Runs `op`, and while it fails with a propagation 403 runs it again with backoff, for at most
 * `waitMs`. Says once that it waits (naming `on`, e.g. "Key Vault https://kv.vault.azure.net")
 * and, if it waited, when the role took effect.
 *
 * @throws whatever `op` throws that is not a propagation 403; {@link RoleNotEffective} (with the
 *   last error as `cause`) when the 403 outlasts the wait.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { waitForRole } from "./role_propagation.ts";
 * // A read that meets the 403 of a role assignment still propagating, then succeeds.
 * let attempts = 0;
 * const read = () =>
 *   attempts++ === 0
 *     ? Promise.reject(Object.assign(new Error("not authorized yet"), {
 *       statusCode: 403,
 *       code: "AuthorizationPermissionMismatch",
 *     }))
 *     : Promise.resolve("the secret");
 * const secret = await waitForRole(read, "Key Vault https://kv.vault.azure.net", {
 *   delayMs: 10,
 *   log: (line) => console.error(line),
 * });
 * assert.equal(secret, "the secret");
 * ```
 */
export async function waitForRole<T>(
  op: () => Promise<T>,
  on: string,
  {
    waitMs = rbacWaitMsFromEnv(),
    delayMs = 1_000,
    maxDelayMs = 15_000,
    log = (line) => console.error(line),
  }: RoleWaitOptions = {},
): Promise<T> {
  const started = Date.now();
  let delay = delayMs;
  let waiting = false;
  for (;;) {
    try {
      const result = await op();
      if (waiting) {
        log(
          `the role assignment on ${on} took effect after ` +
            `${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
      }
      return result;
    } catch (err) {
      const code = propagation403(err);
      if (code === undefined) throw err;
      const waited = Date.now() - started;
      if (waited >= waitMs) {
        if (waitMs === 0) throw err;
        throw new RoleNotEffective(err, waited, code);
      }
      if (!waiting) {
        waiting = true;
        log(
          `waiting for the role assignment on ${on} to take effect (403 ${code}), retrying for ` +
            `up to ${Math.round(waitMs / 1000)} s (FLUXOPS_RBAC_WAIT_SECONDS)`,
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(delay, waitMs - waited)));
      delay = Math.min(delay * 2, maxDelayMs);
    }
  }
}
