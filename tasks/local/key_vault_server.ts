/**
 * A Key Vault stand-in for tests: the secrets part of the Key Vault REST API over HTTPS, with
 * Key Vault's challenge-based bearer authentication, on a free loopback port.
 *
 * Lowkey Vault (the usual stand-in) is not served by the Maven repository these machines reach
 * (its app JAR is published to GitHub Packages, not Maven Central), so this server speaks the
 * same protocol the `@azure/keyvault-secrets` client does: an unauthenticated first request is
 * answered 401 with a `WWW-Authenticate: Bearer authorization=..., resource=...` challenge; the
 * client then gets a token for `https://vault.azure.net` from its credential and retries.
 * Tokens are checked for audience, issuer and lifetime (not signature, as the token server
 * does not sign them).
 *
 * Like Azure, a role assignment does not take effect at once: for `rbacDelayMs` after a grant
 * (the first authenticated request, or the next one after {@link KeyVaultServer.grantRole})
 * every authenticated request is answered 403 `Forbidden` / `ForbiddenByRbac` with Azure's
 * "observe propagation time" message. Azure's window is usually seconds to a few minutes
 * (terraform-provider-azurerm#23927, AVM key-vault#78); the default here is short and on, so the
 * local rehearsal meets it every run.
 *
 * Besides get and set, it lists a secret's versions (`GET /secrets/{name}/versions`), which the
 * function uses to accept models signed by the current or the previous key version.
 * @module
 */

/** A request the vault received. */
export interface VaultRequest {
  readonly method: string;
  readonly path: string;
  readonly apiVersion: string | null;
  /** `none` (challenge answered), `ok`, or why the token was refused. */
  readonly auth: string;
  readonly status: number;
}

/** A running vault. */
export interface KeyVaultServer {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly requests: readonly VaultRequest[];
  /** Stores a new version of a secret and returns the version id. */
  setSecret(name: string, value: string): string;
  /** Disables (or enables again) one version of a secret, as `az keyvault secret set-attributes`. */
  setEnabled(name: string, version: string, enabled: boolean): void;
  /** Makes reads of `name` answer 403 Forbidden (an identity without the role). */
  forbid(name: string): void;
  /**
   * A new role assignment: the next authenticated request starts a new window of
   * `rbacDelayMs` (or `delayMs`) during which every request is answered 403.
   */
  grantRole(delayMs?: number): void;
  stop(): Promise<void>;
}

/** Options of {@link startKeyVaultServer}. */
export interface KeyVaultServerOptions {
  /** PEM certificate and key files for HTTPS. */
  readonly cert: string;
  readonly key: string;
  readonly tenant?: string;
  /**
   * How long a role grant takes to take effect, in ms: requests in that window after the first
   * authenticated one (or after {@link KeyVaultServer.grantRole}) get 403 ForbiddenByRbac.
   * Default {@link DEFAULT_RBAC_DELAY_MS}; 0 turns it off.
   */
  readonly rbacDelayMs?: number;
}

/** The stand-in's default role-propagation window: short, but on, as Azure's always is. */
export const DEFAULT_RBAC_DELAY_MS = 2_000;

/** Azure's 403 body for a caller whose role assignment has not (yet) taken effect. */
export function forbiddenByRbac(action: string, resource: string): unknown {
  return {
    error: {
      code: "Forbidden",
      message: "Caller is not authorized to perform action on resource.\r\n" +
        "If role assignments, deny assignments or role definitions were changed recently, " +
        "please observe propagation time.\r\n" +
        "Caller: appid=00000000-0000-0000-0000-0000000000a2;" +
        "oid=00000000-0000-0000-0000-0000000000a1;iss=https://sts.windows.net/\r\n" +
        `Action: '${action}'\r\nResource: '${resource}'\r\nAssignment: (not found)\r\n` +
        "DenyAssignmentId: null\r\nDecisionReason: null \r\nVault: local;location=local\r\n",
      innererror: { code: "ForbiddenByRbac" },
    },
  };
}

const AUDIENCE = "https://vault.azure.net";

function claimsOf(token: string): Record<string, unknown> | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replaceAll("-", "+").replaceAll("_", "/"));
    const claims: unknown = JSON.parse(json);
    return typeof claims === "object" && claims !== null
      ? claims as Record<string, unknown>
      : undefined;
  } catch {
    return undefined;
  }
}

/** Why a bearer token is refused, or "ok". */
function checkToken(header: string | null): string {
  if (!header) return "none";
  const m = /^Bearer (\S+)$/.exec(header);
  if (!m) return "not a bearer token";
  const claims = claimsOf(m[1]!);
  if (!claims) return "not a JWT";
  const now = Date.now() / 1000;
  const aud = String(claims.aud ?? "").replace(/\/$/, "");
  if (aud !== AUDIENCE) return `wrong audience ${aud}`;
  if (!String(claims.iss ?? "").startsWith("https://sts.windows.net/")) return "wrong issuer";
  if (typeof claims.exp !== "number" || claims.exp < now) return "expired";
  if (typeof claims.nbf === "number" && claims.nbf > now + 300) return "not yet valid";
  return "ok";
}

/** Starts the vault on 127.0.0.1 and a free port. */
export async function startKeyVaultServer(options: KeyVaultServerOptions): Promise<KeyVaultServer> {
  const tenant = options.tenant ?? "72f988bf-0000-4000-8000-000000000001";
  type Version = { version: string; value: string; created: number; enabled: boolean };
  const versions = new Map<string, Version[]>();
  const forbidden = new Set<string>();
  let rbacDelayMs = options.rbacDelayMs ?? DEFAULT_RBAC_DELAY_MS;
  /** When the current grant takes effect; undefined until the first authenticated request. */
  let effectiveAt: number | undefined;
  let lastCreated = 0;
  const requests: VaultRequest[] = [];
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json; charset=utf-8", ...headers },
    });
  const error = (status: number, code: string, message: string) =>
    json(status, { error: { code, message } });

  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const base = `https://${req.headers.get("host") ?? url.host}`;
    const auth = checkToken(req.headers.get("authorization"));
    const record = (status: number) =>
      requests.push({
        method: req.method,
        path: url.pathname,
        apiVersion: url.searchParams.get("api-version"),
        auth,
        status,
      });
    const body = req.body ? await req.text() : "";
    if (auth !== "ok") {
      record(401);
      return json(401, {
        error: {
          code: "Unauthorized",
          message: `AKV10000: Request is missing a valid bearer token (${auth})`,
        },
      }, {
        "www-authenticate":
          `Bearer authorization="https://login.microsoftonline.com/${tenant}", resource="${AUDIENCE}"`,
      });
    }
    const m = /^\/secrets\/([0-9a-zA-Z-]{1,127})(?:\/([0-9a-f]{32}|versions))?\/?$/.exec(
      url.pathname,
    );
    if (!m) {
      record(400);
      return error(400, "BadParameter", `unsupported path ${url.pathname}`);
    }
    const name = m[1]!;
    const listing = m[2] === "versions";
    const wanted = listing ? undefined : m[2];
    const attributes = (v: Version) => ({
      enabled: v.enabled,
      created: v.created,
      updated: v.created,
      recoveryLevel: "Recoverable+Purgeable",
      recoverableDays: 90,
    });
    const bundle = (v: Version) => ({
      value: v.value,
      id: `${base}/secrets/${name}/${v.version}`,
      attributes: attributes(v),
      tags: {},
    });
    const action = req.method === "PUT"
      ? "Microsoft.KeyVault/vaults/secrets/setSecret/action"
      : listing
      ? "Microsoft.KeyVault/vaults/secrets/readMetadata/action"
      : "Microsoft.KeyVault/vaults/secrets/getSecret/action";
    effectiveAt ??= Date.now() + rbacDelayMs;
    if (forbidden.has(name) || Date.now() < effectiveAt) {
      record(403);
      return json(403, forbiddenByRbac(action, `${base}/secrets/${name}`));
    }
    if (req.method === "GET" && listing) {
      // Azure pages by 25 and orders as it likes; clients must not rely on the order.
      const list = (versions.get(name) ?? []).toReversed();
      record(200);
      return json(200, {
        value: list.map((v) => ({
          id: `${base}/secrets/${name}/${v.version}`,
          attributes: attributes(v),
          tags: {},
        })),
        nextLink: null,
      });
    }
    if (req.method === "PUT" && !wanted) {
      const { value } = JSON.parse(body) as { value: string };
      const version = setSecret(name, value);
      record(200);
      return json(200, bundle(versions.get(name)!.find((v) => v.version === version)!));
    }
    if (req.method === "GET") {
      const list = versions.get(name) ?? [];
      const found = wanted
        ? list.find((v) => v.version === wanted)
        : list.findLast((v) => v.enabled);
      if (found && !found.enabled) {
        record(403);
        return error(403, "Forbidden", `Operation get is not allowed on a disabled secret.`);
      }
      if (!found) {
        record(404);
        return error(
          404,
          "SecretNotFound",
          `A secret with (name/id) ${name}${
            wanted ? `/${wanted}` : ""
          } was not found in this key vault.`,
        );
      }
      record(200);
      return json(200, bundle(found));
    }
    record(405);
    return error(405, "MethodNotAllowed", `${req.method} is not supported here`);
  };

  const setSecret = (name: string, value: string): string => {
    const version = crypto.randomUUID().replaceAll("-", "");
    const list = versions.get(name) ?? [];
    // Azure's timestamps are whole seconds; here each version is at least a second newer, so the
    // order of versions made in one test is still visible in their "created" times.
    lastCreated = Math.max(Math.floor(Date.now() / 1000), lastCreated + 1);
    list.push({ version, value, created: lastCreated, enabled: true });
    versions.set(name, list);
    return version;
  };
  const setEnabled = (name: string, version: string, enabled: boolean): void => {
    const found = versions.get(name)?.find((v) => v.version === version);
    if (!found) throw new Error(`no version ${version} of secret ${name}`);
    found.enabled = enabled;
  };

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(options.cert),
    key: await Deno.readTextFile(options.key),
    onListen: () => {},
  }, handler);
  const port = server.addr.port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    requests,
    setSecret,
    setEnabled,
    forbid: (name) => void forbidden.add(name),
    grantRole: (delayMs) => {
      if (delayMs !== undefined) rbacDelayMs = delayMs;
      effectiveAt = undefined;
    },
    stop: () => server.shutdown(),
  };
}
