/**
 * What a deploy needs to know about an environment: the infrastructure's outputs
 * (`tofu output -json` of `infra/`), or the same facts about the local stand-ins.
 * @module
 */
import { InvalidInput } from "../../lib/errors.ts";

/** The facts a deploy uses, whatever provisioned them. */
export interface DeployTarget {
  /** Base URL of the prediction function. */
  readonly functionUrl: string;
  /** The function app's name (Azure) or a label (local). */
  readonly functionAppName: string;
  /** The resource group (Azure) or "" (local). */
  readonly resourceGroup: string;
  /** The registry's store location (FLUXOPS_STORE). */
  readonly modelStore: string;
  /** The location of the container function packages go to, without a trailing slash. */
  readonly deployments: string;
  /** The Key Vault URI (FLUXOPS_KEY_VAULT_URI). */
  readonly keyVaultUri: string;
  /** The signing secret's name (FLUXOPS_SIGNING_SECRET). */
  readonly signingSecret: string;
}

/** The outputs {@link targetFromOutputs} reads, for messages and dry runs. */
export const REQUIRED_OUTPUTS = [
  "function_app_url",
  "function_app_name",
  "resource_group_name",
  "model_store_url",
  "containers",
  "key_vault_uri",
  "signing_secret_name",
] as const;

function value(outputs: Record<string, unknown>, name: string): unknown {
  const entry = outputs[name];
  if (entry === null || typeof entry !== "object" || !("value" in entry)) {
    throw new InvalidInput(
      `infra output ${name} is missing: apply infra/ first (deno task infra apply), and check ` +
        "that the root module still declares it",
    );
  }
  return (entry as { value: unknown }).value;
}

function text(outputs: Record<string, unknown>, name: string): string {
  const v = value(outputs, name);
  if (typeof v !== "string" || v === "") {
    throw new InvalidInput(`infra output ${name}: expected a non-empty string`);
  }
  return v;
}

/**
 * Reads a {@link DeployTarget} from `tofu output -json` (an object of `{value, type,
 * sensitive}` entries).
 * @throws {InvalidInput} naming the first missing or malformed output.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { targetFromOutputs } from "./outputs.ts";
 * const out = (value: unknown) => ({ value, type: "string", sensitive: false });
 * // The JSON object `tofu output -json` prints, trimmed to what is read.
 * const target = targetFromOutputs({
 *   function_app_url: out("https://func-fluxops.azurewebsites.net"),
 *   function_app_name: out("func-fluxops"),
 *   resource_group_name: out("rg-fluxops"),
 *   model_store_url: out("https://stfluxops.blob.core.windows.net/models"),
 *   containers: out({ deployments: "https://stfluxops.blob.core.windows.net/deployments" }),
 *   key_vault_uri: out("https://kv-fluxops.vault.azure.net/"),
 *   signing_secret_name: out("model-signing-key"),
 * });
 * assert.equal(target.functionUrl, "https://func-fluxops.azurewebsites.net");
 * ```
 */
export function targetFromOutputs(outputs: unknown): DeployTarget {
  if (outputs === null || typeof outputs !== "object" || Array.isArray(outputs)) {
    throw new InvalidInput("infra outputs: expected the JSON object of `tofu output -json`");
  }
  const o = outputs as Record<string, unknown>;
  const containers = value(o, "containers");
  const deployments = (containers as Record<string, unknown> | null)?.deployments;
  if (typeof deployments !== "string" || deployments === "") {
    throw new InvalidInput("infra output containers: expected a map with a deployments URL");
  }
  return {
    functionUrl: text(o, "function_app_url").replace(/\/+$/, ""),
    functionAppName: text(o, "function_app_name"),
    resourceGroup: text(o, "resource_group_name"),
    modelStore: text(o, "model_store_url"),
    deployments: deployments.replace(/\/+$/, ""),
    keyVaultUri: text(o, "key_vault_uri"),
    signingSecret: text(o, "signing_secret_name"),
  };
}

/** How the function app gets its code (infra output `function_hosting.mode`). */
export const HOSTING_MODES = ["run_from_package", "one_deploy"] as const;
export type HostingMode = (typeof HOSTING_MODES)[number];

/**
 * The hosting mode of `tofu output -json`: `function_hosting.mode`, or `run_from_package` when
 * the output is absent (a root module from before FC1 was offered).
 * @throws {InvalidInput} when the output is there but names no known mode.
 */
export function hostingFromOutputs(outputs: Record<string, unknown>): HostingMode {
  if (!("function_hosting" in outputs)) return "run_from_package";
  const mode = (value(outputs, "function_hosting") as Record<string, unknown> | null)?.mode;
  const found = HOSTING_MODES.find((m) => m === mode);
  if (!found) {
    throw new InvalidInput(
      `infra output function_hosting.mode: expected ${HOSTING_MODES.join(" or ")}, got ${
        JSON.stringify(mode)
      }`,
    );
  }
  return found;
}
