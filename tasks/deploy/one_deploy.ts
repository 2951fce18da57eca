/**
 * One-deploy: how code reaches a Function App on Flex Consumption (FC1), which has no
 * `WEBSITE_RUN_FROM_PACKAGE`. The zip is POSTed to the app's SCM (Kudu) site,
 * `POST https://<scm host>/api/publish?RemoteBuild=false` with `Content-Type: application/zip` and
 * an Entra bearer token (Resource Manager's scope, as the Azure CLI sends it); the platform
 * writes it into the app's deployment container (infra output
 * `function_hosting.deployment_container_url`) and restarts the app on it.
 *
 * NOT RUN AGAINST AZURE: this client was rehearsed only against the local stand-in
 * (`tasks/local/scm_server.ts`). Facts taken from public material and not verified on Azure:
 * the endpoint and its headers; that Flex answers 200 while the deployment still runs (so a 2xx
 * here means "accepted", and the deploy's smoke step, which waits for the new model version to
 * be served, is what confirms it); that the SCM host is the app's host with `.scm` after its
 * first label. The deployment-status endpoint (`/api/deployments/<id>`) is not polled.
 * @module
 */
import { InvalidInput } from "../../lib/errors.ts";
import { AzureCallError, type AzureCallOptions, MANAGEMENT_SCOPE } from "./arm.ts";

/** A one-deploy call failed: the status and the SCM site's message are in the message. */
export class OneDeployError extends AzureCallError {
  constructor(message: string, status: number) {
    super("OneDeployError", message, status);
  }
}

/** Options of {@link OneDeployClient}. */
export type OneDeployOptions = AzureCallOptions;

/**
 * The SCM (Kudu) site of an app, from its default URL: `.scm` after the host's first label
 * (`https://app.azurewebsites.net` -> `https://app.scm.azurewebsites.net`,
 * `https://app-x1.westeurope-01.azurewebsites.net` -> `https://app-x1.scm.westeurope-01...`).
 * @throws {InvalidInput} when `functionUrl` is not an https URL of a named host.
 */
export function scmUrlOf(functionUrl: string): string {
  let url: URL;
  try {
    url = new URL(functionUrl);
  } catch {
    throw new InvalidInput(`function URL: "${functionUrl}" is not a URL`);
  }
  const dot = url.hostname.indexOf(".");
  if (url.protocol !== "https:" || dot <= 0) {
    throw new InvalidInput(`function URL: expected https://<app>.<domain>, got "${functionUrl}"`);
  }
  return `https://${url.hostname.slice(0, dot)}.scm${url.hostname.slice(dot)}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Publishes function packages to one app's SCM site. */
export class OneDeployClient {
  readonly #scm: string;
  readonly #o: Required<OneDeployOptions>;

  /** @param scmUrl the SCM site's base URL, e.g. from {@link scmUrlOf}. */
  constructor(scmUrl: string, options: OneDeployOptions) {
    this.#scm = scmUrl.replace(/\/+$/, "");
    this.#o = { fetch: globalThis.fetch, attempts: 4, retryDelayMs: 2_000, ...options };
  }

  /** Where packages are POSTed. */
  get publishUrl(): string {
    return `${this.#scm}/api/publish?RemoteBuild=false`;
  }

  /**
   * POSTs the zip; resolves once the SCM site accepted it (the app restarts on it after).
   * Retries 429 and 5xx; any other failure throws with the site's message.
   */
  async publish(zip: Uint8Array): Promise<void> {
    if (zip.length === 0) throw new InvalidInput("one-deploy: the package is empty");
    const o = this.#o;
    for (let attempt = 1;; attempt++) {
      const token = await o.credential.getToken(MANAGEMENT_SCOPE);
      if (!token) throw new OneDeployError("one-deploy: the credential returned no token", 401);
      const res = await o.fetch(this.publishUrl, {
        method: "POST",
        headers: { authorization: `Bearer ${token.token}`, "content-type": "application/zip" },
        body: zip as Uint8Array<ArrayBuffer>,
      });
      const text = await res.text();
      if (res.ok) return;
      if ((res.status === 429 || res.status >= 500) && attempt < o.attempts) {
        await sleep(o.retryDelayMs * 2 ** (attempt - 1));
        continue;
      }
      const hint = res.status === 403
        ? " (the deploying identity needs Website Contributor or Contributor on the app, and " +
          "the SCM site must admit this machine)"
        : "";
      throw new OneDeployError(
        `POST ${this.publishUrl}: HTTP ${res.status}${
          text ? `: ${text.slice(0, 300).trim()}` : ""
        }${hint}`,
        res.status,
      );
    }
  }
}
