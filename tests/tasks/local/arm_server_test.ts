import assert from "node:assert/strict";
import { ArmClient, siteId, WEB_API_VERSION } from "../../../tasks/deploy/arm.ts";
import { armAppHost } from "../../../tasks/deploy/app_host.ts";
import { startArmServer } from "../../../tasks/local/arm_server.ts";

const credential = {
  getToken: () => Promise.resolve({ token: "t", expiresOnTimestamp: Date.now() + 60_000 }),
};

Deno.test("the Resource Manager stand-in restarts the app after answering, and listkeys answers Azure's 400 until the window after the restart has passed", async () => {
  const restarts: Record<string, string>[] = [];
  let restarted = 0;
  const arm = startArmServer({
    settings: { WEBSITE_RUN_FROM_PACKAGE: "azblob://deployments/function/a.zip", KEEP: "1" },
    restartWindowMs: 600,
    retryAfterSeconds: undefined,
    restart: async (s) => {
      restarts.push({ ...s });
      await new Promise((r) => setTimeout(r, 300));
      restarted = performance.now();
    },
  });
  try {
    const waits: string[] = [];
    const client = new ArmClient(arm.site, {
      credential,
      endpoint: arm.endpoint,
      retryDelayMs: 100,
      maxDelayMs: 100,
      onWait: (m) => waits.push(m),
    });
    const host = armAppHost(() => client, "local");
    assert.equal(await host.functionKey() !== undefined, true, "no restart yet: keys at once");
    assert.equal(waits.length, 0);

    await host.setPackageSetting("azblob://deployments/function/b.zip");
    assert.equal(restarted, 0, "the PUT answered before the restart finished");
    const key = await host.functionKey();
    const readAt = performance.now();
    assert.match(key ?? "", /^[0-9a-f]{48}$/);
    assert.ok(readAt - restarted >= 590, `keys read ${(readAt - restarted).toFixed(0)} ms after`);
    assert.ok(arm.refusals() >= 5, `refused ${arm.refusals()} times`);
    assert.equal(waits.length, arm.refusals());
    assert.deepEqual(restarts, [{
      WEBSITE_RUN_FROM_PACKAGE: "azblob://deployments/function/b.zip",
      KEEP: "1",
    }]);
    assert.equal(await host.packageSetting(), "azblob://deployments/function/b.zip");
  } finally {
    await arm.stop();
  }
});

Deno.test("the Resource Manager stand-in with a window of 0 never refuses listkeys", async () => {
  const arm = startArmServer({
    settings: {},
    restartWindowMs: 0,
    restart: () => Promise.resolve(),
  });
  try {
    const client = new ArmClient(arm.site, { credential, endpoint: arm.endpoint });
    await client.setAppSetting("WEBSITE_RUN_FROM_PACKAGE", "azblob://deployments/function/b.zip");
    await client.defaultFunctionKey();
    assert.equal(arm.refusals(), 0);
  } finally {
    await arm.stop();
  }
});

Deno.test("the Resource Manager stand-in refuses bad calls the way ARM does", async () => {
  const arm = startArmServer({ settings: {}, restart: () => Promise.resolve() });
  const site = siteId(arm.site);
  const v = `api-version=${WEB_API_VERSION}`;
  const auth = { authorization: "Bearer x" };
  try {
    const cases: [string, string, Record<string, string>, string | undefined, number, string][] = [
      ["POST", `${site}/config/appsettings/list?${v}`, {}, undefined, 401, "AuthenticationFailed"],
      [
        "POST",
        `${site}/config/appsettings/list?api-version=1`,
        auth,
        undefined,
        400,
        "InvalidApiVersionParameter",
      ],
      [
        "POST",
        `/subscriptions/x/resourceGroups/y/providers/Microsoft.Web/sites/z/syncfunctiontriggers?${v}`,
        auth,
        undefined,
        404,
        "ResourceNotFound",
      ],
      ["DELETE", `${site}/config/appsettings?${v}`, auth, undefined, 404, "NotFound"],
      ["PUT", `${site}/config/appsettings?${v}`, auth, "{", 400, "InvalidRequestContent"],
      [
        "PUT",
        `${site}/config/appsettings?${v}`,
        auth,
        '{"properties":{"A":1}}',
        400,
        "InvalidRequestContent",
      ],
    ];
    for (const [method, path, headers, body, status, code] of cases) {
      const res = await fetch(`${arm.endpoint}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      });
      assert.equal(res.status, status, `${method} ${path}`);
      assert.equal((await res.json()).error.code, code, `${method} ${path}`);
    }
    assert.deepEqual(arm.settings(), {}, "nothing was changed");
  } finally {
    await arm.stop();
  }
});

Deno.test("the Resource Manager stand-in stores new settings before its PUT answers, and answers 500 when it cannot", async () => {
  const stored: Record<string, string>[] = [];
  let fail = false;
  let restarts = 0;
  let finishRestart = () => {};
  const arm = startArmServer({
    settings: { WEBSITE_RUN_FROM_PACKAGE: "azblob://deployments/function/a.zip" },
    restartWindowMs: 0,
    persist: (s) => {
      if (fail) return Promise.reject(new Error("disk full"));
      stored.push({ ...s });
      return Promise.resolve();
    },
    // A restart that lasts until the test ends: what was stored cannot depend on it.
    restart: () => {
      restarts++;
      return new Promise<void>((resolve) => finishRestart = resolve);
    },
  });
  try {
    const client = new ArmClient(arm.site, {
      credential,
      endpoint: arm.endpoint,
      retryDelayMs: 1,
      maxDelayMs: 1,
    });
    await client.setAppSetting("WEBSITE_RUN_FROM_PACKAGE", "azblob://deployments/function/b.zip");
    assert.deepEqual(stored, [{ WEBSITE_RUN_FROM_PACKAGE: "azblob://deployments/function/b.zip" }]);
    assert.equal(restarts, 1);

    fail = true;
    await assert.rejects(
      client.setAppSetting("WEBSITE_RUN_FROM_PACKAGE", "azblob://deployments/function/c.zip"),
      /the settings were not stored: disk full/,
    );
    assert.equal(stored.length, 1, "nothing more was stored");
    assert.equal(restarts, 1, "no restart for settings that were not stored");
    assert.equal(arm.settings().WEBSITE_RUN_FROM_PACKAGE, "azblob://deployments/function/b.zip");
  } finally {
    finishRestart();
    await arm.stop();
  }
});
