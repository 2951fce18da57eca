/**
 * The few Azure Resource Manager calls a deploy makes on the Function App, over REST with a
 * bearer token from any `TokenCredential` (`DefaultAzureCredential`: workload identity in GitLab
 * CI, a developer's `az login` locally). No Azure CLI is needed.
 *
 * - read and write the app settings (`WEBSITE_RUN_FROM_PACKAGE` points the app at a package);
 * - sync the function triggers after a package change;
 * - read the default function key, for the smoke test.
 * @module
 */
import type { TokenCredential } from "@azure/identity";
import { FluxError } from "../errors.ts";

/** Microsoft.Web's API version used for every call. */
export const WEB_API_VERSION = "2023-12-01";
const ARM = "https://management.azure.com";
const SCOPE = "https://management.azure.com/.default";

/** An ARM call failed: the status and Azure's error code are in the message. */
export class ArmError extends FluxError {
  readonly status: number;
  constructor(message: string, status: number) {
    super("unavailable", message);
    this.name = "ArmError";
    this.status = status;
  }
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
export interface ArmOptions {
  readonly credential: TokenCredential;
  /** The fetch to use (tests pass a fake). */
  readonly fetch?: typeof fetch;
  /** ARM's base URL. */
  readonly endpoint?: string;
  /** Attempts for 429 and 5xx answers, the first included. Default 4. */
  readonly attempts?: number;
  /** Base delay between attempts, ms. Default 2 000. */
  readonly retryDelayMs?: number;
}

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
      ...options,
    };
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    const url = `${this.#o.endpoint}${this.#site}${path}?api-version=${WEB_API_VERSION}`;
    const what = `${method} ${this.#site}${path}`;
    for (let attempt = 1;; attempt++) {
      const token = await this.#o.credential.getToken(SCOPE);
      if (!token) throw new ArmError(`${what}: the credential returned no token`, 401);
      const res = await this.#o.fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token.token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (res.ok) return text ? JSON.parse(text) : {};
      const retry = res.status === 429 || res.status >= 500;
      if (retry && attempt < this.#o.attempts) {
        await new Promise((r) => setTimeout(r, this.#o.retryDelayMs * 2 ** (attempt - 1)));
        continue;
      }
      let detail = `HTTP ${res.status}`;
      try {
        const err = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
        if (err?.code) detail += ` ${err.code}: ${err.message ?? ""}`.trimEnd();
      } catch { /* not JSON */ }
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

  /** The app's default function key (for calls to `authLevel: function` routes). */
  async defaultFunctionKey(): Promise<string> {
    const res = await this.#call("POST", "/host/default/listkeys") as {
      functionKeys?: Record<string, string>;
    };
    const key = res.functionKeys?.default;
    if (!key) throw new ArmError(`${this.#site}: the host has no default function key`, 404);
    return key;
  }
}
