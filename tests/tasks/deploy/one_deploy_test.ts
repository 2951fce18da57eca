import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { InvalidInput } from "../../../lib/errors.ts";
import { OneDeployClient, OneDeployError, scmUrlOf } from "../../../tasks/deploy/one_deploy.ts";
import { startScmServer } from "../../../tasks/local/scm_server.ts";

const credential = {
  getToken: () => Promise.resolve({ token: "t", expiresOnTimestamp: Date.now() + 60_000 }),
};
const ZIP = zipSync({ "host.json": new TextEncoder().encode("{}") });

/** The SCM stand-in, recording what it stored and which restarts ran. */
function scm() {
  const stored: Uint8Array[] = [];
  let restarts = 0;
  const server = startScmServer({
    publish: (zip) => {
      stored.push(zip);
      return Promise.resolve({ restart: () => Promise.resolve(void restarts++) });
    },
    runRestart: (run) => run(),
  });
  return { server, stored, restarts: () => restarts };
}

Deno.test("scmUrlOf() puts .scm after the host's first label, and rejects what is not an app URL", () => {
  const good: [string, string][] = [
    [
      "https://func-fluxops-dev-ab12cd.azurewebsites.net/",
      "https://func-fluxops-dev-ab12cd.scm.azurewebsites.net",
    ],
    [
      "https://app-x1.westeurope-01.azurewebsites.net",
      "https://app-x1.scm.westeurope-01.azurewebsites.net",
    ],
  ];
  for (const [url, expected] of good) assert.equal(scmUrlOf(url), expected);
  const bad: [string, RegExp][] = [
    ["not a url", /"not a url" is not a URL/],
    ["http://app.azurewebsites.net", /expected https:\/\/<app>\.<domain>/],
    ["https://localhost", /expected https:\/\/<app>\.<domain>/],
  ];
  for (const [url, message] of bad) {
    assert.throws(
      () => scmUrlOf(url),
      (e) => e instanceof InvalidInput && message.test(e.message),
      url,
    );
  }
});

Deno.test("OneDeployClient.publish() posts the zip to /api/publish and the stand-in restarts the app on it", async () => {
  const { server, stored, restarts } = scm();
  try {
    const client = new OneDeployClient(server.endpoint, { credential });
    assert.equal(client.publishUrl, `${server.endpoint}/api/publish?RemoteBuild=false`);
    await client.publish(ZIP);
    assert.equal(server.published(), 1);
    assert.deepEqual(stored, [ZIP]);
    assert.equal(restarts(), 1);
    await assert.rejects(
      () => client.publish(new Uint8Array()),
      /one-deploy: the package is empty/,
    );
    assert.equal(server.published(), 1);
  } finally {
    await server.stop();
  }
});

Deno.test("the SCM stand-in refuses bad publishes with a status and a reason, and stores nothing", async () => {
  const { server, stored, restarts } = scm();
  try {
    const url = `${server.endpoint}/api/publish?RemoteBuild=false`;
    const auth = { authorization: "Bearer t" };
    const zipType = { ...auth, "content-type": "application/zip" };
    const rows: [string, string, RequestInit, number, RegExp][] = [
      [
        "no token",
        url,
        { method: "POST", headers: { "content-type": "application/zip" }, body: ZIP },
        401,
        /no bearer token/,
      ],
      ["GET", url, { headers: auth }, 405, /expected POST/],
      [
        "another path",
        `${server.endpoint}/api/zipdeploy`,
        { method: "POST", headers: zipType, body: ZIP },
        404,
        /not served/,
      ],
      [
        "remote build",
        `${server.endpoint}/api/publish?RemoteBuild=true`,
        { method: "POST", headers: zipType, body: ZIP },
        400,
        /RemoteBuild=true/,
      ],
      [
        "not a zip type",
        url,
        {
          method: "POST",
          headers: { ...auth, "content-type": "application/octet-stream" },
          body: ZIP,
        },
        415,
        /expected Content-Type application\/zip/,
      ],
      [
        "empty",
        url,
        { method: "POST", headers: zipType, body: new Uint8Array() },
        400,
        /the body is empty/,
      ],
      [
        "not a zip",
        url,
        { method: "POST", headers: zipType, body: new TextEncoder().encode("hello") },
        400,
        /not a zip file/,
      ],
    ];
    for (const [what, target, init, status, message] of rows) {
      const res = await fetch(target, init);
      const body = await res.json() as { error: string };
      assert.equal(res.status, status, what);
      assert.match(body.error, message, what);
    }
    assert.equal(server.published(), 0);
    assert.equal(stored.length, 0);
    assert.equal(restarts(), 0);
    // The client names the refusal and its status.
    const client = new OneDeployClient(server.endpoint, { credential });
    const err = await client.publish(new TextEncoder().encode("hello")).catch((e) => e);
    assert.ok(err instanceof OneDeployError);
    assert.equal(err.status, 400);
    assert.match(
      err.message,
      /^POST http:\/\/127\.0\.0\.1:\d+\/api\/publish\?RemoteBuild=false: HTTP 400: .*not a zip file/,
    );
  } finally {
    await server.stop();
  }
});
