/**
 * The stand-ins `deno task deploy --env local` starts fail the way Azure does by default: the
 * managed-identity endpoint is not on 127.0.0.1, and a new role assignment answers 403 for a
 * while on Key Vault and on Blob Storage.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startLocalStack } from "../../../tasks/deploy_local.ts";
import { hasOpenssl } from "../../../tasks/local/tls.ts";
import { withTempDir } from "../../support/fixtures.ts";
import { needsTool } from "../../support/python.ts";

Deno.test({
  name:
    "the rehearsal's stand-ins put the token endpoint on 127.0.0.2 and answer 403 until the role grant takes effect",
  ...needsTool(hasOpenssl(), "openssl (for the stand-ins' HTTPS)"),
  async fn() {
    await withTempDir(async (dir) => {
      const printed: string[] = [];
      const error = console.error;
      console.error = (line: string) => void printed.push(line);
      let stack;
      try {
        stack = await startLocalStack({
          stateDir: join(dir, "state"),
          alias: "production",
          log: () => {},
        });
      } finally {
        console.error = error;
      }
      try {
        const endpoint = new URL(stack.env.IDENTITY_ENDPOINT!);
        assert.equal(endpoint.hostname, "127.0.0.2");
        // Creating the containers met Blob Storage's 403 and waited it out.
        assert.ok(
          printed.some((l) =>
            /^waiting for the role assignment on blob container .* \(403 AuthorizationPermissionMismatch\)/
              .test(l)
          ),
          printed.join("\n"),
        );
        // The vault's first authorised request is refused as Azure refuses it.
        const token = await (await fetch(
          `${endpoint}?api-version=2019-08-01&resource=${
            encodeURIComponent("https://vault.azure.net")
          }`,
          { headers: { "x-identity-header": stack.env.IDENTITY_HEADER! } },
        )).json();
        const client = Deno.createHttpClient({
          caCerts: [await Deno.readTextFile(stack.env.NODE_EXTRA_CA_CERTS!)],
        });
        try {
          const res = await fetch(
            `${stack.target.keyVaultUri}secrets/${stack.target.signingSecret}?api-version=7.5`,
            { client, headers: { authorization: `Bearer ${token.access_token}` } },
          );
          assert.equal(res.status, 403);
          assert.equal((await res.json()).error.innererror.code, "ForbiddenByRbac");
        } finally {
          client.close();
        }
      } finally {
        await stack.stop();
      }
    });
  },
});
