/**
 * A local stand-in for the one call a one-deploy makes on a Flex Consumption app's SCM (Kudu)
 * site, `POST /api/publish?RemoteBuild=false` with `Content-Type: application/zip` and a bearer
 * token (`tasks/deploy/one_deploy.ts` sends it), so `deno task deploy --env local --hosting
 * one_deploy` publishes through the very client it would use on Azure. As the FC1 host does, it
 * stores the zip in the app's deployment container and restarts the app on it; it answers once
 * the zip is stored, before the restart has finished (Flex answers while the deployment runs).
 *
 * Only a bearer header is required; the token is not checked (no Entra ID here). Not modelled:
 * remote builds, the deployment-status endpoint, SCM access restrictions.
 * @module
 */
import { describeError, InvalidInput } from "../../lib/errors.ts";
import { zipModes } from "../deploy/unpack.ts";

/** Options of {@link startScmServer}. */
export interface ScmServerOptions {
  /**
   * Takes a published zip as the app's package: stores it where the app runs from, and
   * returns the restart that follows (run in the background; the answer does not wait for it).
   * Throws {@link InvalidInput} for a package the platform would refuse.
   */
  readonly publish: (zip: Uint8Array) => Promise<{ restart: () => Promise<void> }>;
  /** Runs a restart (the Resource Manager stand-in's `hostRestart`, for the listkeys 400). */
  readonly runRestart: (run: () => Promise<void>) => Promise<void>;
}

/** A running stand-in. */
export interface ScmServer {
  /** The SCM site's base URL (`OneDeployClient`'s `scmUrl`). */
  readonly endpoint: string;
  /** How many packages it accepted. */
  readonly published: () => number;
  /** Stops listening. */
  stop(): Promise<void>;
}

/** Starts the stand-in on 127.0.0.1 and a free port. */
export function startScmServer({ publish, runRestart }: ScmServerOptions): ScmServer {
  let published = 0;
  const fail = (status: number, message: string) =>
    new Response(JSON.stringify({ error: message }), {
      status,
      headers: { "content-type": "application/json" },
    });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      if (url.pathname !== "/api/publish") {
        return fail(404, `${req.method} ${url.pathname} is not served by the local SCM stand-in`);
      }
      if (req.method !== "POST") return fail(405, "/api/publish: expected POST");
      if (!/^Bearer \S+/.test(req.headers.get("authorization") ?? "")) {
        return fail(401, "/api/publish: no bearer token");
      }
      const remote = url.searchParams.get("RemoteBuild");
      if (remote !== null && remote.toLowerCase() !== "false") {
        return fail(400, `/api/publish: RemoteBuild=${remote}: the package is prebuilt`);
      }
      const type = req.headers.get("content-type") ?? "";
      if (type.split(";")[0]!.trim().toLowerCase() !== "application/zip") {
        return fail(415, `/api/publish: expected Content-Type application/zip, got "${type}"`);
      }
      const zip = new Uint8Array(await req.arrayBuffer());
      if (zip.length === 0) return fail(400, "/api/publish: the body is empty");
      let next;
      try {
        zipModes(zip);
        next = await publish(zip);
      } catch (err) {
        if (err instanceof InvalidInput) return fail(400, `/api/publish: ${err.message}`);
        return fail(500, `/api/publish: storing the package failed: ${describeError(err)}`);
      }
      published++;
      void runRestart(next.restart);
      return new Response(JSON.stringify({ status: "accepted", bytes: zip.length }), {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    },
  );
  return {
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    published: () => published,
    stop: () => server.shutdown(),
  };
}
