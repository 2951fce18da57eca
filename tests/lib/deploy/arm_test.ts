import assert from "node:assert/strict";
import type { TokenCredential } from "@azure/identity";
import { ArmClient, ArmError, siteId, WEB_API_VERSION } from "../../../lib/deploy/arm.ts";

const SITE = { subscriptionId: "0000-sub", resourceGroup: "rg-fluxops-dev", name: "func-x" };
const TOKEN = "secret-bearer-token";
const credential: TokenCredential = {
  getToken: (scope) => {
    assert.deepEqual(scope, "https://management.azure.com/.default");
    return Promise.resolve({ token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 });
  },
};

interface Call {
  method: string;
  url: string;
  auth: string | null;
  body: unknown;
}

/** A fake Resource Manager: answers from `routes` by "METHOD path", records every call. */
function fakeArm(routes: Record<string, (body: unknown) => [number, unknown]>) {
  const calls: Call[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    const method = init?.method ?? "GET";
    calls.push({
      method,
      url: url.href,
      auth: new Headers(init?.headers).get("authorization"),
      body,
    });
    const route = routes[`${method} ${url.pathname.replace(siteId(SITE), "")}`];
    const [status, answer] = route ? route(body) : [404, { error: { code: "NotFound" } }];
    return Promise.resolve(
      new Response(answer === "" ? null : JSON.stringify(answer), { status }),
    );
  };
  return { calls, fetch: fetch as typeof globalThis.fetch };
}

Deno.test("setAppSetting() changes one setting, keeps the others and returns the old value", async () => {
  let stored: Record<string, string> = {
    WEBSITE_RUN_FROM_PACKAGE: "https://st/deployments/function/old.zip",
    FLUXOPS_ALIAS: "production",
  };
  const arm = fakeArm({
    "POST /config/appsettings/list": () => [200, { properties: stored }],
    "PUT /config/appsettings": (body) => {
      stored = (body as { properties: Record<string, string> }).properties;
      return [200, { properties: stored }];
    },
    "POST /syncfunctiontriggers": () => [200, ""],
  });
  const client = new ArmClient(SITE, { credential, fetch: arm.fetch });
  const previous = await client.setAppSetting("WEBSITE_RUN_FROM_PACKAGE", "https://st/new.zip");
  await client.syncTriggers();
  assert.equal(previous, "https://st/deployments/function/old.zip");
  assert.deepEqual(stored, {
    WEBSITE_RUN_FROM_PACKAGE: "https://st/new.zip",
    FLUXOPS_ALIAS: "production",
  });
  assert.deepEqual(arm.calls.map((c) => c.method), ["POST", "PUT", "POST"]);
  for (const c of arm.calls) {
    assert.equal(c.auth, `Bearer ${TOKEN}`);
    assert.ok(c.url.startsWith(`https://management.azure.com${siteId(SITE)}/`));
    assert.ok(c.url.endsWith(`?api-version=${WEB_API_VERSION}`));
  }
});

Deno.test("ArmClient retries throttling and server errors, then succeeds", async () => {
  let n = 0;
  const arm = fakeArm({
    "POST /host/default/listkeys": () =>
      ++n < 3 ? [n === 1 ? 429 : 503, {}] : [200, { functionKeys: { default: "fn-key" } }],
  });
  const client = new ArmClient(SITE, { credential, fetch: arm.fetch, retryDelayMs: 1 });
  assert.equal(await client.defaultFunctionKey(), "fn-key");
  assert.equal(arm.calls.length, 3);
});

Deno.test("ArmClient errors name the call, Azure's code and what to do, never the token", async () => {
  const cases: [
    Record<string, (b: unknown) => [number, unknown]>,
    () => (c: ArmClient) => Promise<unknown>,
    RegExp,
  ][] = [
    [
      {
        "POST /config/appsettings/list":
          () => [403, { error: { code: "AuthorizationFailed", message: "no" } }],
      },
      () => (c) => c.appSettings(),
      /POST .*\/config\/appsettings\/list: HTTP 403 AuthorizationFailed: no \(the deploying identity needs Website Contributor/,
    ],
    [
      { "POST /host/default/listkeys": () => [200, { functionKeys: {} }] },
      () => (c) => c.defaultFunctionKey(),
      /has no default function key/,
    ],
    [
      { "POST /syncfunctiontriggers": () => [500, "not json"] },
      () => (c) => c.syncTriggers(),
      /syncfunctiontriggers: HTTP 500$/,
    ],
  ];
  for (const [routes, call, message] of cases) {
    const client = new ArmClient(SITE, {
      credential,
      fetch: fakeArm(routes).fetch,
      attempts: 2,
      retryDelayMs: 1,
    });
    await assert.rejects(() => call()(client), (err) => {
      assert.ok(err instanceof ArmError);
      assert.match(err.message, message);
      assert.ok(!err.message.includes(TOKEN));
      return true;
    });
  }
});

Deno.test("ArmClient refuses to call without a token", async () => {
  const client = new ArmClient(SITE, {
    credential: { getToken: () => Promise.resolve(null) },
    fetch: fakeArm({}).fetch,
  });
  await assert.rejects(() => client.appSettings(), /the credential returned no token/);
});
