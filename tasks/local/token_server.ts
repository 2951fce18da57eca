/**
 * A tiny managed-identity endpoint in the App Service style (`IDENTITY_ENDPOINT` plus
 * `IDENTITY_HEADER`), on a free loopback port, so `DefaultAzureCredential` picks
 * `ManagedIdentityCredential` and gets a token without Azure.
 *
 * It listens on 127.0.0.2 by default, not 127.0.0.1: on App Service Linux the endpoint is a
 * link-local or container address chosen by the platform (public write-ups show
 * `169.254.129.x:8081`), so a client that only reaches 127.0.0.1 (as the package's
 * `--allow-net` once did) must fail here as it would on Azure. Linux routes all of 127.0.0.0/8
 * to the loopback interface; macOS has only 127.0.0.1 unless an alias is added
 * (`sudo ifconfig lo0 alias 127.0.0.2`), so there the server falls back to 127.0.0.1 and says so. Tokens are unsigned JWTs with the
 * claims Azure's would carry (audience = the requested resource, issuer = the tenant's STS);
 * the test servers check those claims, not a signature.
 * @module
 */

/** A request the endpoint received. */
export interface TokenRequest {
  readonly apiVersion: string | null;
  readonly resource: string | null;
  readonly clientId: string | null;
  /** The `x-identity-header` value sent, or null if none. */
  readonly identityHeader: string | null;
  /** The HTTP status the endpoint answered. */
  readonly status: number;
}

/** Options of {@link startTokenServer}. */
export interface TokenServerOptions {
  /** Tenant in the issuer claim. */
  readonly tenant?: string;
  /** Seconds until tokens expire. Default 3600. */
  readonly lifetimeSeconds?: number;
  /** Issue tokens for this audience whatever resource is asked for (to test a refusal). */
  readonly audience?: string;
  /**
   * The loopback address to listen on. Default 127.0.0.2 (not 127.0.0.1, as on Azure, see the
   * module comment), falling back to 127.0.0.1 where that address does not exist.
   */
  readonly hostname?: string;
  /** Where the fallback is reported. Default `console.error`. */
  readonly warn?: (line: string) => void;
}

/** A running token endpoint. */
export interface TokenServer {
  /** `http://127.0.0.2:<port>/msi/token`: the value for `IDENTITY_ENDPOINT`. */
  readonly endpoint: string;
  /** The address it listens on. */
  readonly hostname: string;
  /** The value for `IDENTITY_HEADER`; requests without it are refused with 401. */
  readonly identityHeader: string;
  readonly tenant: string;
  /** Every request so far. */
  readonly requests: readonly TokenRequest[];
  /** The environment that points the Azure identity library at this endpoint. */
  env(): Record<string, string>;
  stop(): Promise<void>;
}

function b64url(value: unknown): string {
  return btoa(JSON.stringify(value)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** An unsigned (`alg: none`) JWT for `resource`, with the claims Entra ID would set. */
export function unsignedToken(resource: string, tenant: string, lifetimeSeconds: number): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    aud: resource,
    iss: `https://sts.windows.net/${tenant}/`,
    iat: now,
    nbf: now - 60,
    exp: now + lifetimeSeconds,
    tid: tenant,
    oid: "00000000-0000-0000-0000-0000000000a1",
    sub: "00000000-0000-0000-0000-0000000000a1",
    appid: "00000000-0000-0000-0000-0000000000a2",
    idtyp: "app",
  };
  return `${b64url({ alg: "none", typ: "JWT" })}.${b64url(claims)}.`;
}

/** The address a token endpoint listens on by default: a loopback address other than 127.0.0.1. */
export const TOKEN_HOSTNAME = "127.0.0.2";

/** Starts the endpoint on 127.0.0.2 (see {@link TokenServerOptions.hostname}) and a free port. */
export function startTokenServer(options: TokenServerOptions = {}): TokenServer {
  const tenant = options.tenant ?? "72f988bf-0000-4000-8000-000000000001";
  const lifetime = options.lifetimeSeconds ?? 3600;
  const identityHeader = crypto.randomUUID();
  const requests: TokenRequest[] = [];
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json" },
    });
  const handler = (req: Request): Response => {
    const url = new URL(req.url);
    const q = url.searchParams;
    const sent = req.headers.get("x-identity-header");
    const record = (status: number) =>
      requests.push({
        apiVersion: q.get("api-version"),
        resource: q.get("resource"),
        clientId: q.get("client_id"),
        identityHeader: sent,
        status,
      });
    if (sent !== identityHeader) {
      record(401);
      return json(401, { error: "unauthorized", error_description: "bad x-identity-header" });
    }
    const resource = q.get("resource");
    if (req.method !== "GET" || url.pathname !== "/msi/token" || !resource) {
      record(400);
      return json(400, { error: "invalid_request", error_description: "resource is required" });
    }
    record(200);
    return json(200, {
      access_token: unsignedToken(options.audience ?? resource, tenant, lifetime),
      expires_on: String(Math.floor(Date.now() / 1000) + lifetime),
      resource,
      token_type: "Bearer",
      client_id: "00000000-0000-0000-0000-0000000000a2",
    });
  };
  let hostname = options.hostname ?? TOKEN_HOSTNAME;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ hostname, port: 0, onListen: () => {} }, handler);
  } catch (err) {
    if (options.hostname !== undefined || !(err instanceof Deno.errors.AddrNotAvailable)) throw err;
    (options.warn ?? console.error)(
      `token endpoint: ${hostname} is not available on this machine, listening on 127.0.0.1 ` +
        "instead (the rehearsal then cannot show a client that only reaches 127.0.0.1)",
    );
    hostname = "127.0.0.1";
    server = Deno.serve({ hostname, port: 0, onListen: () => {} }, handler);
  }
  const endpoint = `http://${hostname}:${server.addr.port}/msi/token`;
  return {
    endpoint,
    hostname,
    identityHeader,
    tenant,
    requests,
    env: () => ({ IDENTITY_ENDPOINT: endpoint, IDENTITY_HEADER: identityHeader }),
    stop: () => server.shutdown(),
  };
}
