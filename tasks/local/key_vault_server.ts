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
  /** Makes reads of `name` answer 403 Forbidden (an identity without the role). */
  forbid(name: string): void;
  stop(): Promise<void>;
}

/** Options of {@link startKeyVaultServer}. */
export interface KeyVaultServerOptions {
  /** PEM certificate and key files for HTTPS. */
  readonly cert: string;
  readonly key: string;
  readonly tenant?: string;
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
  const versions = new Map<string, { version: string; value: string; created: number }[]>();
  const forbidden = new Set<string>();
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
    const m = /^\/secrets\/([0-9a-zA-Z-]{1,127})(?:\/([0-9a-f]{32}))?\/?$/.exec(url.pathname);
    if (!m) {
      record(400);
      return error(400, "BadParameter", `unsupported path ${url.pathname}`);
    }
    const name = m[1]!;
    const wanted = m[2];
    const bundle = (v: { version: string; value: string; created: number }) => ({
      value: v.value,
      id: `${base}/secrets/${name}/${v.version}`,
      attributes: {
        enabled: true,
        created: v.created,
        updated: v.created,
        recoveryLevel: "Recoverable+Purgeable",
        recoverableDays: 90,
      },
      tags: {},
    });
    if (forbidden.has(name)) {
      record(403);
      return error(
        403,
        "Forbidden",
        `Caller is not authorized to perform action on resource (secret ${name}). ForbiddenByRbac`,
      );
    }
    if (req.method === "PUT" && !wanted) {
      const { value } = JSON.parse(body) as { value: string };
      const version = setSecret(name, value);
      record(200);
      return json(200, bundle(versions.get(name)!.find((v) => v.version === version)!));
    }
    if (req.method === "GET") {
      const list = versions.get(name) ?? [];
      const found = wanted ? list.find((v) => v.version === wanted) : list.at(-1);
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
    list.push({ version, value, created: Math.floor(Date.now() / 1000) });
    versions.set(name, list);
    return version;
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
    forbid: (name) => void forbidden.add(name),
    stop: () => server.shutdown(),
  };
}
