/**
 * The local {@link DeployPlatform} of `deno task deploy --env local`: the "infrastructure" is
 * the stand-ins of `tasks/deploy_local.ts` (Azurite, a Key Vault stand-in, a Resource Manager
 * stand-in, the package started as the Functions host starts it), started by the infra step
 * and stopped when the deploy ends; the outputs, containers and app are theirs.
 * @module
 */
import { join } from "node:path";
import { type LocalStack, startLocalStack } from "../deploy_local.ts";
import type { HostingMode } from "./outputs.ts";
import type { DeployPlatform } from "./platform.ts";

/** Options of {@link localPlatform}. */
export interface LocalPlatformOptions {
  /** Where the environment is kept between deploys. */
  readonly stateDir: string;
  /** The alias the local app follows. */
  readonly alias: string;
  /** The hosting mode rehearsed. */
  readonly hosting: HostingMode;
  /** How long after each restart of the app its keys still answer 400, ms. */
  readonly restartWindowMs: number;
  /** How long reading the function key may wait through that 400, ms. */
  readonly waitMs: number;
  /** Progress lines. */
  readonly log: (line: string) => void;
}

/** The local platform; nothing starts before its infra step runs. */
export function localPlatform(
  { stateDir, alias, hosting, restartWindowMs, waitMs, log }: LocalPlatformOptions,
): DeployPlatform {
  let stack: LocalStack | undefined;
  const started = (): LocalStack => {
    if (stack === undefined) throw new Error("internal: the local stand-ins are not started yet");
    return stack;
  };
  return {
    infra: {
      title: "start the local stand-ins",
      params: () => ({
        state: stateDir,
        services: "Azurite, Key Vault stand-in, token endpoint, Resource Manager stand-in" +
          (hosting === "one_deploy" ? ", SCM stand-in (one-deploy)" : ""),
      }),
      async run() {
        stack = await startLocalStack({
          stateDir,
          alias,
          log,
          restartWindowMs,
          keyWaitMs: waitMs,
          hosting,
        });
        return Object.entries(stack.describe()).map(([k, v]) => `${k} ${v}`).join(", ");
      },
    },
    outputs: {
      title: "read the stand-ins' outputs",
      params: () => ({ store: "azblob://models", deployments: "azblob://deployments" }),
      // A rejection, not a throw, when the stand-ins are not started.
      run: () =>
        Promise.resolve().then(() => ({ target: started().target, hosting: started().hosting })),
    },
    registry: () => started().registry(),
    deployments: (target) => started().container(target.deployments),
    app: () => started().app,
    trainedDir: join(stateDir, "trained"),
    trainerEnv: () => stack?.env ?? {},
    planned: {
      modelStore: "azblob://models",
      deployments: "azblob://deployments",
      functionUrl: "<the local app's URL>",
    },
    pointVia: {
      run_from_package: "the local Resource Manager stand-in (restarts the local app)",
      one_deploy: "the local SCM stand-in, POST /api/publish (restarts the local app)",
    },
    pollMs: 200,
    stop: () => stack?.stop() ?? Promise.resolve(),
  };
}
