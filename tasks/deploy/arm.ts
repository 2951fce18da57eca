/**
 * The few Azure Resource Manager calls a deploy makes on the Function App, over REST with a
 * bearer token from any `TokenCredential` (`DefaultAzureCredential`: workload identity in GitLab
 * CI, a developer's `az login` locally). No Azure CLI is needed.
 *
 * - read and write the app settings (`WEBSITE_RUN_FROM_PACKAGE` points the app at a package);
 * - sync the function triggers after a package change;
 * - read the default function key, for the smoke test.
 *
 * Every call retries throttling (429) and server errors (5xx) a few times, waiting at least what
 * `Retry-After` asks. Reading the keys also waits, for a bounded time, through the
 * `400 "Encountered an error (InternalServerError) from host runtime"` that
 * `host/default/listkeys` answers while the Functions host restarts after a package or settings
 * change (azure-cli#20892, azure-docs#69703): that 400 is not the caller's fault, it means "the
 * host is not back yet". Whether Azure sends `Retry-After` with it is not documented: both
 * cases are handled (honoured when present, exponential backoff otherwise).
 * @module
 */
import type { TokenCredential } from "@azure/identity";
import { FluxError } from "../../lib/errors.ts";

/** Microsoft.Web's API version used for every call. */
export const WEB_API_VERSION = "2023-12-01";
const ARM = "https://management.azure.com";
/** Resource Manager's token scope, which ARM and the app's SCM site (one-deploy) both take. */
export const MANAGEMENT_SCOPE = "https://management.azure.com/.default";

/** A call to one of Azure's management endpoints failed with HTTP `status`. */
export class AzureCallError extends FluxError {
  readonly status: number;
  constructor(name: string, message: string, status: number) {
    super("unavailable", message);
    this.name = name;
    this.status = status;
  }
}

/** An ARM call failed: the status and Azure's error code are in the message. */
export class ArmError extends AzureCallError {
  constructor(message: string, status: number) {
    super("ArmError", message, status);
  }
}

/** How a client of Azure's management endpoints gets its token and retries 429 and 5xx. */
export interface AzureCallOptions {
  readonly credential: TokenCredential;
  /** The fetch to use (tests pass a fake). */
  readonly fetch?: typeof fetch;
  /** Attempts for 429 and 5xx answers, the first included. Default 4. */
  readonly attempts?: number;
  /** Base delay between attempts, ms. Default 2 000. */
  readonly retryDelayMs?: number;
}

/** Where the Function App is. */
export interface SiteRef {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
}

/** The resource ID of a site. */
export function siteId({ subscriptionId, resourceGroup, name }: SiteRef): string {
  const seg = encodeURIComponent;
  return `/subscriptions/${seg(subscriptionId)}/resourceGroups/${seg(resourceGroup)}` +
    `/providers/Microsoft.Web/sites/${seg(name)}`;
}

/** Options of {@link ArmClient}. */
export interface ArmOptions extends AzureCallOptions {
  /** ARM's base URL. */
  readonly endpoint?: string;
  /** Longest delay between two attempts, ms (a longer `Retry-After` is cut to it). Default 30 000. */
  readonly maxDelayMs?: number;
  /**
   * How long reading the keys waits through the host's restart (HTTP 400 "... from host
   * runtime"), ms. Default 300 000.
   */
  readonly hostRestartWaitMs?: number;
  /** Told what is being waited for before each wait (progress lines). */
  readonly onWait?: (message: string) => void;
}

/** The 400 `host/default/listkeys` answers while the Functions host restarts. */
const HOST_RESTARTING = /from host runtime/i;

/**
 * The delay an HTTP answer asks for, ms: `retry-after-ms` / `x-ms-retry-after-ms` (Azure's), else
 * `Retry-After` in seconds or as an HTTP date; undefined when absent or unreadable.
 */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const v = headers.get(name);
    if (v !== null && /^\d+$/.test(v.trim())) return Number(v.trim());
  }
  const v = headers.get("retry-after")?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP date ("Wed, 02 Dec 2026 12:00:03 GMT"); Date.parse alone would take "-1" as a year.
  const at = /^[A-Za-z]{3}, \d/.test(v) ? Date.parse(v) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Azure's error code and message from an ARM body (`{error:{code}}` or the host's `{Code}`). */
function armDetail(status: number, text: string): string {
  let detail = `HTTP ${status}`;
  try {
    const body = JSON.parse(text) as {
      error?: { code?: string; message?: string };
      Code?: string;
      Message?: string;
    };
    const code = body.error?.code ?? body.Code;
    const message = body.error?.message ?? body.Message;
    if (code) detail += ` ${code}: ${message ?? ""}`.trimEnd();
  } catch { /* not JSON */ }
  return detail;
}

/** `12 s`, or `0.3 s` under ten seconds. */
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Function App's management-plane operations. */
export class ArmClient {
  readonly #o: Required<ArmOptions>;
  readonly #site: string;

  constructor(site: SiteRef, options: ArmOptions) {
    this.#site = siteId(site);
    this.#o = {
      fetch: globalThis.fetch,
      endpoint: ARM,
      attempts: 4,
      retryDelayMs: 2_000,
      maxDelayMs: 30_000,
      hostRestartWaitMs: 300_000,
      onWait: () => {},
      ...options,
    };
  }

  async #call(
    method: string,
    path: string,
    body?: unknown,
    { hostRestart = false }: { hostRestart?: boolean } = {},
  ): Promise<unknown> {
    const url = `${this.#o.endpoint}${this.#site}${path}?api-version=${WEB_API_VERSION}`;
    const what = `${method} ${this.#site}${path}`;
    const o = this.#o;
    const started = Date.now();
    let restartWaits = 0;
    for (let attempt = 1;; attempt++) {
      const token = await o.credential.getToken(MANAGEMENT_SCOPE);
      if (!token) throw new ArmError(`${what}: the credential returned no token`, 401);
      const res = await o.fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token.token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (res.ok) return text ? JSON.parse(text) : {};
      const detail = armDetail(res.status, text);
      const asked = retryAfterMs(res.headers);
      const transient = res.status === 429 || res.status >= 500;
      if (transient && attempt < o.attempts) {
        const backoff = o.retryDelayMs * 2 ** (attempt - 1);
        await sleep(Math.min(o.maxDelayMs, Math.max(backoff, asked ?? 0)));
        continue;
      }
      if (hostRestart && res.status === 400 && HOST_RESTARTING.test(text)) {
        const left = started + o.hostRestartWaitMs - Date.now();
        const bound = seconds(o.hostRestartWaitMs);
        if (left <= 0) {
          throw new ArmError(
            `${what}: ${detail} (the function host was still restarting after ${bound} and ` +
              `${restartWaits} retries; its keys cannot be read until it is back)`,
            res.status,
          );
        }
        restartWaits++;
        const backoff = Math.min(o.maxDelayMs, o.retryDelayMs * 2 ** (restartWaits - 1));
        const delay = Math.min(left, Math.max(backoff, Math.min(o.maxDelayMs, asked ?? 0)));
        o.onWait(
          `waiting for the function host to finish restarting before reading its keys: ` +
            `listkeys answered ${detail}; retry ${restartWaits} in ${(delay / 1000).toFixed(1)} s` +
            `${asked === undefined ? "" : " (Retry-After)"}, giving up after ${bound}`,
        );
        await sleep(delay);
        continue;
      }
      const hint = res.status === 403
        ? " (the deploying identity needs Website Contributor or Contributor on the app)"
        : "";
      throw new ArmError(`${what}: ${detail}${hint}`, res.status);
    }
  }

  /** The app settings, by name. */
  async appSettings(): Promise<Record<string, string>> {
    const res = await this.#call("POST", "/config/appsettings/list") as {
      properties?: Record<string, string>;
    };
    return { ...(res.properties ?? {}) };
  }

  /**
   * Sets one app setting, keeping every other one (ARM replaces the whole set, so this reads,
   * changes and writes it). Returns the previous value.
   */
  async setAppSetting(name: string, value: string): Promise<string | undefined> {
    const settings = await this.appSettings();
    const previous = settings[name];
    settings[name] = value;
    await this.#call("PUT", "/config/appsettings", { properties: settings });
    return previous;
  }

  /** Makes the platform re-read the functions of a newly deployed package. */
  async syncTriggers(): Promise<void> {
    await this.#call("POST", "/syncfunctiontriggers");
  }

  /**
   * The app's default function key (for calls to `authLevel: function` routes). Waits through
   * the host's restart (HTTP 400 "... from host runtime") for at most `hostRestartWaitMs`.
   */
  async defaultFunctionKey(): Promise<string> {
    const res = await this.#call("POST", "/host/default/listkeys", undefined, {
      hostRestart: true,
    }) as {
      functionKeys?: Record<string, string>;
    };
    const key = res.functionKeys?.default;
    if (!key) throw new ArmError(`${this.#site}: the host has no default function key`, 404);
    return key;
  }
}
