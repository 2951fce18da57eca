import assert from "node:assert/strict";
import type { TokenCredential } from "@azure/identity";
import {
  ArmClient,
  ArmError,
  retryAfterMs,
  siteId,
  WEB_API_VERSION,
} from "../../../tasks/deploy/arm.ts";

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

const HOST_RESTART_400 = JSON.stringify({
  Code: "BadRequest",
  Message: "Encountered an error (InternalServerError) from host runtime.",
  Target: null,
});

/** A fetch that answers listkeys from `answers` in turn (the last one repeats), timing each call. */
function scripted(answers: [number, string, Record<string, string>?][]) {
  const at: number[] = [];
  const fetch = (_input: string | URL | Request, _init?: RequestInit) => {
    at.push(performance.now());
    const [status, body, headers] = answers[Math.min(at.length, answers.length) - 1]!;
    return Promise.resolve(new Response(body, { status, headers: headers ?? {} }));
  };
  return { at, fetch: fetch as typeof globalThis.fetch };
}

const KEYS = JSON.stringify({ functionKeys: { default: "fn-key" } });

Deno.test("defaultFunctionKey() waits out the host-restart 400 with exponential backoff and says what it waits for", async () => {
  const arm = scripted([
    [400, HOST_RESTART_400],
    [400, HOST_RESTART_400],
    [400, HOST_RESTART_400],
    [200, KEYS],
  ]);
  const waits: string[] = [];
  const client = new ArmClient(SITE, {
    credential,
    fetch: arm.fetch,
    retryDelayMs: 20,
    onWait: (m) => waits.push(m),
  });
  assert.equal(await client.defaultFunctionKey(), "fn-key");
  assert.equal(arm.at.length, 4);
  const gaps = arm.at.slice(1).map((t, i) => t - arm.at[i]!);
  for (const [i, min] of [20, 40, 80].entries()) {
    assert.ok(
      gaps[i]! >= min - 2,
      `wait ${i + 1} was ${gaps[i]!.toFixed(0)} ms, expected >= ${min}`,
    );
  }
  assert.equal(waits.length, 3);
  assert.match(
    waits[0]!,
    /^waiting for the function host to finish restarting before reading its keys: listkeys answered HTTP 400 BadRequest: Encountered an error \(InternalServerError\) from host runtime\.; retry 1 in 0\.0 s, giving up after 300 s$/,
  );
});

Deno.test("defaultFunctionKey() honours Retry-After on the host-restart 400 and on 429", async () => {
  const arm = scripted([
    [400, HOST_RESTART_400, { "retry-after": "1" }],
    [429, "{}", { "retry-after-ms": "300" }],
    [200, KEYS],
  ]);
  const waits: string[] = [];
  const client = new ArmClient(SITE, {
    credential,
    fetch: arm.fetch,
    retryDelayMs: 1,
    onWait: (m) => waits.push(m),
  });
  assert.equal(await client.defaultFunctionKey(), "fn-key");
  assert.ok(arm.at[1]! - arm.at[0]! >= 990, "waited the 1 s Retry-After asked");
  assert.ok(arm.at[2]! - arm.at[1]! >= 295, "waited the 300 ms retry-after-ms asked");
  assert.match(waits[0]!, /retry 1 in 1\.0 s \(Retry-After\)/);
});

Deno.test("defaultFunctionKey() gives up after hostRestartWaitMs, naming the 400 and the bound", async () => {
  const arm = scripted([[400, HOST_RESTART_400]]);
  const client = new ArmClient(SITE, {
    credential,
    fetch: arm.fetch,
    retryDelayMs: 30,
    hostRestartWaitMs: 200,
  });
  const t0 = performance.now();
  await assert.rejects(() => client.defaultFunctionKey(), (err) => {
    assert.ok(err instanceof ArmError);
    assert.equal(err.status, 400);
    assert.match(
      err.message,
      /host\/default\/listkeys: HTTP 400 BadRequest: Encountered an error \(InternalServerError\) from host runtime\. \(the function host was still restarting after 0\.2 s and \d+ retries; its keys cannot be read until it is back\)$/,
    );
    return true;
  });
  const ms = performance.now() - t0;
  assert.ok(ms >= 195, `gave up after ${ms.toFixed(0)} ms`);
  // Events, not a wall-clock ceiling (which a busy machine broke): every listkeys call but the
  // last began before the bound (measured from the first call), so it stopped at the first 400
  // past the bound; the message counts those retries.
  const bound = arm.at[0]! + 200 + 1; // + 1: the client counts in whole Date.now() ms
  assert.ok(arm.at.slice(0, -1).every((t) => t < bound), "no retry began after the bound");
  assert.ok(arm.at.length >= 2, "it retried");
});

Deno.test("only listkeys retries a 400, and only the host-restart one", async () => {
  const cases: [string, (c: ArmClient) => Promise<unknown>, string][] = [
    ["listkeys, another 400", (c) => c.defaultFunctionKey(), '{"error":{"code":"BadRequest"}}'],
    ["appsettings, the host-restart 400", (c) => c.appSettings(), HOST_RESTART_400],
  ];
  for (const [what, call, body] of cases) {
    const arm = scripted([[400, body], [200, KEYS]]);
    const client = new ArmClient(SITE, { credential, fetch: arm.fetch, retryDelayMs: 1 });
    await assert.rejects(() => call(client), ArmError, what);
    assert.equal(arm.at.length, 1, what);
  }
});

Deno.test("retryAfterMs() reads Azure's and HTTP's retry headers", () => {
  const now = Date.parse("2026-12-02T12:00:00Z");
  const cases: [Record<string, string>, number | undefined][] = [
    [{ "retry-after": "7" }, 7_000],
    [{ "retry-after": "Wed, 02 Dec 2026 12:00:03 GMT" }, 3_000],
    [{ "retry-after": "Wed, 02 Dec 2026 11:00:00 GMT" }, 0],
    [{ "retry-after-ms": "250", "retry-after": "9" }, 250],
    [{ "x-ms-retry-after-ms": "40" }, 40],
    [{ "retry-after": "soon" }, undefined],
    [{ "retry-after": "-1" }, undefined],
    [{}, undefined],
  ];
  for (const [headers, expected] of cases) {
    assert.equal(retryAfterMs(new Headers(headers), now), expected, JSON.stringify(headers));
  }
});
