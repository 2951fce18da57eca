/**
 * A local stand-in for the few Azure Resource Manager calls a deploy makes on the Function App
 * (the same ones `tasks/deploy/arm.ts` sends), so `deno task deploy --env local` drives the local
 * app through the very client it uses on Azure:
 *
 * - `POST .../config/appsettings/list` and `PUT .../config/appsettings` (the whole set, as ARM
 *   replaces it); a settings change restarts the app, as on App Service, and the PUT answers
 *   before the restart has finished;
 * - `POST .../syncfunctiontriggers`;
 * - `POST .../host/default/listkeys`, which answers **400** `"Encountered an error
 *   (InternalServerError) from host runtime."` from a settings change until `restartWindowMs`
 *   after the new process answers, as Azure does while the Functions host restarts
 *   (azure-cli#20892, azure-docs#69703). How long Azure keeps answering it after the new version
 *   serves is not documented (reports range from seconds to minutes), so the window outlasts
 *   the restart on purpose: a deploy that reads keys the moment the new version answers still
 *   meets it.
 *
 * Only a bearer header is required; the token is not checked (no Entra ID here).
 * @module
 */
import type { SiteRef } from "../deploy/arm.ts";
import { siteId, WEB_API_VERSION } from "../deploy/arm.ts";

/** Options of {@link startArmServer}. */
export interface ArmServerOptions {
  /** The app settings the app was left with. */
  readonly settings: Readonly<Record<string, string>>;
  /**
   * Stores new settings before the PUT answers, as Resource Manager has committed a change by
   * its 200: a deploy killed right after the call still finds them. A failure answers 500.
   */
  readonly persist?: (settings: Readonly<Record<string, string>>) => Promise<void>;
  /**
   * Applies new settings: restarts the app; resolves once the new process answers (or has
   * failed to start). Restarts never overlap.
   */
  readonly restart: (settings: Readonly<Record<string, string>>) => Promise<void>;
  /**
   * How long after the restarted process answers `listkeys` still answers 400, ms; 0 turns the
   * restart 400 off entirely. Default 2 000.
   */
  readonly restartWindowMs?: number;
  /** The `Retry-After` seconds sent with that 400; undefined sends none. Default 1. */
  readonly retryAfterSeconds?: number | undefined;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** A running stand-in. */
export interface ArmServer {
  /** The base URL to give `ArmClient` as `endpoint`. */
  readonly endpoint: string;
  /** The site it serves. */
  readonly site: SiteRef;
  /** The settings now. */
  settings(): Readonly<Record<string, string>>;
  /** How many listkeys calls were refused with the restart 400. */
  readonly refusals: () => number;
  /** Resolves when no restart is in progress. */
  idle(): Promise<void>;
  /**
   * Runs a restart of the app that was not caused by a settings change (a one-deploy publish,
   * `tasks/local/scm_server.ts`): after the restarts before it, with `listkeys` answering the
   * restart 400 as for a settings change. Resolves once it has run.
   */
  hostRestart(run: () => Promise<void>): Promise<void>;
  /** Waits for a restart in progress, then stops listening. */
  stop(): Promise<void>;
}

/** The body Azure sends with the restart 400 (as quoted in azure-cli#20892). */
const HOST_RUNTIME_400 = {
  Code: "BadRequest",
  Message: "Encountered an error (InternalServerError) from host runtime.",
  Target: null,
  Details: [
    { Message: "Encountered an error (InternalServerError) from host runtime." },
    { Code: "BadRequest" },
  ],
};

/** Starts the stand-in on 127.0.0.1 and a free port. */
export function startArmServer(
  {
    settings: initial,
    persist = () => Promise.resolve(),
    restart,
    restartWindowMs = 2_000,
    retryAfterSeconds = 1,
    log = () => {},
  }: ArmServerOptions,
): ArmServer {
  const site: SiteRef = { subscriptionId: "local", resourceGroup: "local", name: "local" };
  const prefix = siteId(site);
  const functionKey = Array.from(
    crypto.getRandomValues(new Uint8Array(24)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  let settings: Readonly<Record<string, string>> = { ...initial };
  /** Until when listkeys answers 400; Infinity while a restart runs. */
  let restartingUntil = 0;
  let refusals = 0;
  let chain: Promise<void> = Promise.resolve();

  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json", ...headers },
    });
  const armError = (status: number, code: string, message: string) =>
    json(status, { error: { code, message } });

  const hostRestart = (run: () => Promise<void>) => {
    if (restartWindowMs > 0) restartingUntil = Infinity;
    chain = chain.then(async () => {
      try {
        await run();
      } catch (err) {
        log(`      local app: restart failed: ${err instanceof Error ? err.message : err}`);
      } finally {
        if (restartWindowMs > 0) restartingUntil = Date.now() + restartWindowMs;
      }
    });
    return chain;
  };
  const applySettings = (next: Readonly<Record<string, string>>) => {
    settings = next;
    void hostRestart(() => restart(next));
  };

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      if (!/^Bearer \S+/.test(req.headers.get("authorization") ?? "")) {
        return armError(401, "AuthenticationFailed", "no bearer token");
      }
      if (url.searchParams.get("api-version") !== WEB_API_VERSION) {
        return armError(400, "InvalidApiVersionParameter", "unsupported api-version");
      }
      if (!url.pathname.startsWith(`${prefix}/`)) {
        return armError(404, "ResourceNotFound", `${url.pathname} is not this app`);
      }
      const op = `${req.method} ${url.pathname.slice(prefix.length)}`;
      switch (op) {
        case "POST /config/appsettings/list":
          return json(200, { name: "appsettings", properties: settings });
        case "PUT /config/appsettings": {
          let body: unknown;
          try {
            body = await req.json();
          } catch {
            return armError(400, "InvalidRequestContent", "the body is not JSON");
          }
          const props = (body as { properties?: unknown } | null)?.properties;
          if (
            !props || typeof props !== "object" || Array.isArray(props) ||
            !Object.values(props).every((v) => typeof v === "string")
          ) {
            return armError(400, "InvalidRequestContent", "properties: expected string values");
          }
          const next = { ...(props as Record<string, string>) };
          try {
            await persist(next);
          } catch (err) {
            const why = err instanceof Error ? err.message : String(err);
            return armError(500, "InternalServerError", `the settings were not stored: ${why}`);
          }
          applySettings(next);
          return json(200, { name: "appsettings", properties: settings });
        }
        case "POST /syncfunctiontriggers":
          return new Response(null, { status: 204 });
        case "POST /host/default/listkeys":
          if (Date.now() < restartingUntil) {
            refusals++;
            return json(
              400,
              HOST_RUNTIME_400,
              retryAfterSeconds === undefined ? {} : { "retry-after": String(retryAfterSeconds) },
            );
          }
          return json(200, { masterKey: "local-master", functionKeys: { default: functionKey } });
        default:
          return armError(404, "NotFound", `${op} is not served by the local stand-in`);
      }
    },
  );
  return {
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    site,
    settings: () => settings,
    refusals: () => refusals,
    idle: () => chain,
    hostRestart,
    async stop() {
      await server.shutdown();
      await chain;
    },
  };
}
