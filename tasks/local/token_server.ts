/**
 * A tiny managed-identity endpoint in the App Service style (`IDENTITY_ENDPOINT` plus
 * `IDENTITY_HEADER`), on a free loopback port, so `DefaultAzureCredential` picks
 * `ManagedIdentityCredential` and gets a token without Azure. Tokens are unsigned JWTs with the
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
}

/** A running token endpoint. */
export interface TokenServer {
  /** `http://127.0.0.1:<port>/msi/token`: the value for `IDENTITY_ENDPOINT`. */
  readonly endpoint: string;
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

/** Starts the endpoint on 127.0.0.1 and a free port. */
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
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => {
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
    },
  );
  const endpoint = `http://127.0.0.1:${server.addr.port}/msi/token`;
  return {
    endpoint,
    identityHeader,
    tenant,
    requests,
    env: () => ({ IDENTITY_ENDPOINT: endpoint, IDENTITY_HEADER: identityHeader }),
    stop: () => server.shutdown(),
  };
}
