/**
 * A stand-in for GitLab's Terraform state API (`/api/v4/projects/:id/terraform/state/:name`, the
 * `http` backend's address, lock and unlock URLs) that enforces GitLab's roles, so a pipeline
 * that would be refused on GitLab.com is refused here too:
 *
 * - Reading the state needs the Developer role; writing it, locking and unlocking need Maintainer
 *   (GitLab's docs, "GitLab-managed Terraform/OpenTofu state"; see docs/Pipeline_Logic.md).
 * - Basic auth with the user name `gitlab-ci-token` takes a CI job token, which has the role of
 *   the user who started the job; any other user name takes an access token with its own role
 *   (the state API reads the token from the password and does not compare the user name).
 * - Unknown credentials: 401. Known credentials without the role: 403, which OpenTofu's http
 *   backend reports as "HTTP remote state endpoint invalid auth". A lock held by another ID: 409.
 *
 * Every request is recorded (method, path, who) so tests can assert that a plan wrote nothing.
 * @module
 */

/** A GitLab project role, as far as the state API distinguishes them. */
export type Role = "reporter" | "developer" | "maintainer";

/** A credential the stand-in accepts. */
export interface Credential {
  /** `job` for CI_JOB_TOKEN (user name gitlab-ci-token), `access` for a project/group token. */
  kind: "job" | "access";
  role: Role;
}

/** One request as the stand-in saw it. */
export interface SeenRequest {
  method: string;
  /** The path below the project's state, e.g. `dev` or `dev/lock`. */
  path: string;
  /** The token's name in {@link GitLabStateOptions.tokens}, or `anonymous`. */
  who: string;
  status: number;
}

/** Options of {@link startGitLabState}. */
export interface GitLabStateOptions {
  /** The project id in the URL. */
  projectId?: string;
  /** Tokens by their secret value. */
  tokens: Record<string, Credential>;
}

/** A running stand-in. */
export interface GitLabState {
  /** The value for CI_API_V4_URL. */
  apiUrl: string;
  seen: SeenRequest[];
  /** The stored state documents by state name. */
  states: Map<string, string>;
  /** The lock info JSON by state name, while locked. */
  locks: Map<string, string>;
  close(): Promise<void>;
}

const RANK: Record<Role, number> = { reporter: 20, developer: 30, maintainer: 40 };
const JOB_USER = "gitlab-ci-token";

function credentialOf(
  header: string | null,
  tokens: Record<string, Credential>,
): { name: string; cred: Credential } | undefined {
  if (header === null || !header.startsWith("Basic ")) return undefined;
  let decoded: string;
  try {
    decoded = atob(header.slice("Basic ".length));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  const user = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  const cred = tokens[secret];
  if (cred === undefined) return undefined;
  // A job token only with gitlab-ci-token; an access token with any other non-empty name.
  if ((cred.kind === "job") !== (user === JOB_USER) || user === "") return undefined;
  return { name: `${cred.kind}:${cred.role}`, cred };
}

/** Starts the stand-in on 127.0.0.1 with a free port. */
export function startGitLabState(
  { projectId = "42", tokens }: GitLabStateOptions,
): GitLabState {
  const seen: SeenRequest[] = [];
  const states = new Map<string, string>();
  const locks = new Map<string, string>();
  const prefix = `/api/v4/projects/${projectId}/terraform/state/`;

  const handle = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const auth = credentialOf(req.headers.get("authorization"), tokens);
    const rest = url.pathname.startsWith(prefix)
      ? decodeURIComponent(url.pathname.slice(prefix.length))
      : undefined;
    const respond = (status: number, body: string | null = null): Response => {
      seen.push({
        method: req.method,
        path: rest ?? url.pathname,
        who: auth?.name ?? "anonymous",
        status,
      });
      return new Response(body, { status });
    };
    if (rest === undefined || rest === "") return respond(404, '{"message":"404 Not Found"}');
    if (auth === undefined) return respond(401, '{"message":"401 Unauthorized"}');
    const isLock = rest.endsWith("/lock");
    const name = isLock ? rest.slice(0, -"/lock".length) : rest;
    const needs: Role = req.method === "GET" && !isLock ? "developer" : "maintainer";
    if (RANK[auth.cred.role] < RANK[needs]) return respond(403, '{"message":"403 Forbidden"}');

    if (isLock) {
      if (req.method === "POST") {
        const info = await req.text();
        const held = locks.get(name);
        if (held !== undefined) return respond(409, held);
        locks.set(name, info);
        return respond(200);
      }
      if (req.method === "DELETE") {
        locks.delete(name);
        return respond(200);
      }
      return respond(405);
    }
    if (req.method === "GET") {
      const state = states.get(name);
      return state === undefined ? respond(204) : respond(200, state);
    }
    if (req.method === "POST") {
      const held = locks.get(name);
      const id = url.searchParams.get("ID");
      if (held !== undefined && id !== (JSON.parse(held) as { ID?: string }).ID) {
        await req.body?.cancel();
        return respond(409, held);
      }
      states.set(name, await req.text());
      return respond(200);
    }
    if (req.method === "DELETE") {
      states.delete(name);
      return respond(200);
    }
    return respond(405);
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handle);
  return {
    apiUrl: `http://127.0.0.1:${server.addr.port}/api/v4`,
    seen,
    states,
    locks,
    close: () => server.shutdown(),
  };
}
