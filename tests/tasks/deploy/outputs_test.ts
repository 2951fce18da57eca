import assert from "node:assert/strict";
import { InvalidInput } from "../../../lib/errors.ts";
import { targetFromOutputs } from "../../../tasks/deploy/outputs.ts";

const out = (value: unknown) => ({ value, type: "string", sensitive: false });
const OUTPUTS = {
  function_app_url: out("https://func-fluxops-dev-ab12cd.azurewebsites.net/"),
  function_app_name: out("func-fluxops-dev-ab12cd"),
  resource_group_name: out("rg-fluxops-dev"),
  model_store_url: out("https://stfluxopsdevab12cd.blob.core.windows.net/models"),
  containers: out({
    models: "https://stfluxopsdevab12cd.blob.core.windows.net/models",
    deployments: "https://stfluxopsdevab12cd.blob.core.windows.net/deployments",
  }),
  key_vault_uri: out("https://kv-fluxops-dev-ab12cd.vault.azure.net/"),
  signing_secret_name: out("model-signing-key"),
  application_insights_connection_string: { value: "InstrumentationKey=x", sensitive: true },
};

Deno.test("targetFromOutputs() reads the deploy's facts from `tofu output -json`", () => {
  assert.deepEqual(targetFromOutputs(OUTPUTS), {
    functionUrl: "https://func-fluxops-dev-ab12cd.azurewebsites.net",
    functionAppName: "func-fluxops-dev-ab12cd",
    resourceGroup: "rg-fluxops-dev",
    modelStore: "https://stfluxopsdevab12cd.blob.core.windows.net/models",
    deployments: "https://stfluxopsdevab12cd.blob.core.windows.net/deployments",
    keyVaultUri: "https://kv-fluxops-dev-ab12cd.vault.azure.net/",
    signingSecret: "model-signing-key",
  });
});

Deno.test("targetFromOutputs() names the missing or malformed output", () => {
  const cases: [unknown, RegExp][] = [
    [[], /expected the JSON object/],
    [null, /expected the JSON object/],
    [{ ...OUTPUTS, function_app_url: undefined }, /function_app_url is missing: apply infra/],
    [{ ...OUTPUTS, key_vault_uri: out("") }, /key_vault_uri: expected a non-empty string/],
    [{ ...OUTPUTS, resource_group_name: out(3) }, /resource_group_name: expected a non-empty/],
    [{ ...OUTPUTS, containers: out({ models: "x" }) }, /containers: expected a map with a deploy/],
    [{ ...OUTPUTS, containers: out(null) }, /containers: expected a map/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => targetFromOutputs(input), (err) => {
      assert.ok(err instanceof InvalidInput);
      assert.match(err.message, message);
      return true;
    });
  }
});

Deno.test("hostingFromOutputs() reads function_hosting.mode, and run_from_package without it", async () => {
  const { hostingFromOutputs } = await import("../../../tasks/deploy/outputs.ts");
  assert.equal(hostingFromOutputs(OUTPUTS), "run_from_package");
  const hosting = (value: unknown) => ({ ...OUTPUTS, function_hosting: out(value) });
  assert.equal(
    hostingFromOutputs(hosting({ sku: "FC1", mode: "one_deploy", deployment_container_url: "x" })),
    "one_deploy",
  );
  assert.equal(
    hostingFromOutputs(hosting({ sku: "B1", mode: "run_from_package" })),
    "run_from_package",
  );
  const bad: [unknown, RegExp][] = [
    [
      { sku: "FC1" },
      /function_hosting\.mode: expected run_from_package or one_deploy, got undefined/,
    ],
    [{ mode: "zip_deploy" }, /got "zip_deploy"/],
    [null, /got undefined/],
  ];
  for (const [value, message] of bad) {
    assert.throws(
      () => hostingFromOutputs(hosting(value)),
      (e) => e instanceof InvalidInput && message.test(e.message),
      JSON.stringify(value),
    );
  }
});
