/**
 * Waits until a deployed function serves an expected model version from a process started
 * after the deploy changed its package: `GET /api/health` must report that `model_version`, and
 * an `uptime_s` shorter than the time since the change (so an instance still running the old
 * package cannot pass for the new one). Gives up early when the function reports that it refused
 * the expected version (a signature or integrity error names the version).
 * @module
 */
import { describeError } from "../../lib/errors.ts";

/** Options of {@link waitForVersion}. */
export interface WaitOptions {
  /** The function's base URL. */
  readonly url: string;
  /** The model version it must serve. */
  readonly version: string;
  /** Epoch ms of the package change; omit when the package did not change. */
  readonly changedAt?: number;
  /** Longest wait, ms. */
  readonly timeoutMs: number;
  /** Delay between polls, ms. Default 1 000. */
  readonly intervalMs?: number;
  /** Per-request timeout, ms. Default 10 000. */
  readonly requestTimeoutMs?: number;
  /** The fetch to use. */
  readonly fetch?: typeof fetch;
}

/** What the function last said. */
export interface WaitResult {
  readonly ok: boolean;
  /** Why it failed, or "" on success. */
  readonly detail: string;
  readonly polls: number;
}

interface Health {
  status?: string;
  model_version?: string;
  uptime_s?: number;
  reason?: string;
  last_load_error?: string;
}

/** Polls `url/api/health` until the version is served, refused, or the time is up. */
export async function waitForVersion(
  {
    url,
    version,
    changedAt,
    timeoutMs,
    intervalMs = 1_000,
    requestTimeoutMs = 10_000,
    fetch: get = globalThis.fetch,
  }: WaitOptions,
): Promise<WaitResult> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  for (let polls = 1;; polls++) {
    try {
      const res = await get(`${url.replace(/\/+$/, "")}/api/health`, {
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      const text = await res.text();
      let body: Health = {};
      try {
        body = JSON.parse(text) as Health;
      } catch { /* not JSON: keep polling */ }
      const fresh = changedAt === undefined || body.uptime_s === undefined ||
        body.uptime_s * 1000 <= Date.now() - changedAt + 2_000;
      if (res.status === 200 && body.model_version === version && fresh) {
        return { ok: true, detail: "", polls };
      }
      const refusal = [body.reason, body.last_load_error].find((m) => m?.includes(version));
      if (refusal && fresh) {
        return { ok: false, detail: `the function refused ${version}: ${refusal}`, polls };
      }
      last = `HTTP ${res.status}, serving ${body.model_version ?? "nothing"}` +
        (fresh ? "" : " from a process older than the package change") +
        (body.reason ? ` (${body.reason})` : "");
    } catch (err) {
      last = describeError(err);
    }
    if (Date.now() + intervalMs > deadline) {
      return {
        ok: false,
        detail: `${version} not served within ${Math.round(timeoutMs / 1000)} s; last: ${last}`,
        polls,
      };
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
