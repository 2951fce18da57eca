import assert from "node:assert/strict";
import { azurePlatform } from "../../../tasks/deploy/azure_platform.ts";
import { deploySteps, type StepsConfig } from "../../../tasks/deploy/deploy_steps.ts";
import { localPlatform } from "../../../tasks/deploy/local_platform.ts";
import type { DeployPlatform } from "../../../tasks/deploy/platform.ts";
import { DEPLOY_STEPS as STEPS } from "../../support/deploy.ts";

const config: StepsConfig = {
  env: "dev",
  alias: "production",
  model: undefined,
  skipTrain: false,
  fresh: false,
  force: false,
  trainerArgs: [],
  waitSeconds: 30,
  hosting: undefined,
};

const log = () => {};
const platforms: [name: string, platform: DeployPlatform][] = [
  ["azure", azurePlatform({ env: "dev", skipInfra: false, plan: undefined, waitMs: 1, log })],
  [
    "local",
    localPlatform({
      stateDir: "/nonexistent/state",
      alias: "production",
      hosting: "run_from_package",
      restartWindowMs: 0,
      waitMs: 1,
      log,
    }),
  ],
];

for (const [name, platform] of platforms) {
  Deno.test(`deploySteps() over the ${name} platform is the one list of nine steps, planned from the platform's parts`, () => {
    const steps = deploySteps(config, platform, {}, log);
    assert.deepEqual(steps.map((s) => s.name), STEPS);
    const at = (n: string) => steps.find((s) => s.name === n)!;
    assert.equal(at("infra").title, platform.infra.title);
    assert.deepEqual(at("infra").params(), platform.infra.params());
    assert.equal(at("outputs").title, platform.outputs.title);
    assert.equal(at("publish").params().store, platform.planned.modelStore);
    assert.equal(at("upload").params().container, platform.planned.deployments);
    assert.equal(at("smoke").params().url, platform.planned.functionUrl);
    assert.equal(at("point").params().via, platform.pointVia.run_from_package);
    assert.ok(at("train").params().command?.includes(platform.trainedDir));
  });
}

Deno.test("the local platform refuses to be used before its infra step started the stand-ins", async () => {
  const [, local] = platforms[1]!;
  await assert.rejects(local.outputs.run(), /the local stand-ins are not started yet/);
  await local.stop();
});
