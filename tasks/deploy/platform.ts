/**
 * Where a deploy runs: Azure, through infra/ and its outputs, or the local stand-ins of
 * `--env local` ({@link DeployPlatform}). The deploy's steps (`deploy_steps.ts`) are one list
 * over this interface; each environment's differences (how the infrastructure comes to be, where
 * its outputs are read, how the app is reached, what the plan says of values not known yet)
 * live in its implementation: `azure_platform.ts`, `local_platform.ts`.
 * @module
 */
import type { ModelRegistry } from "../../lib/store/registry.ts";
import type { StorageBackend } from "../../lib/store/backend.ts";
import type { AppHost } from "./app_host.ts";
import type { DeployTarget, HostingMode } from "./outputs.ts";

/** A step's own part: what it is called, what the plan shows, what it does. */
export interface PlatformStep<T> {
  /** What it does, one line. */
  readonly title: string;
  /** Its parameters for the plan a dry run prints. */
  params(): Record<string, string>;
  run(): Promise<T>;
}

/** What the outputs step learns. */
export interface PlatformOutputs {
  readonly target: DeployTarget;
  /** How the app gets its code. */
  readonly hosting: HostingMode;
}

/** The environment a deploy targets. */
export interface DeployPlatform {
  /** Provisions the infrastructure (Azure) or starts the stand-ins (local); returns a summary. */
  readonly infra: PlatformStep<string>;
  /** Reads the target's outputs (names, URLs, containers) and its hosting mode. */
  readonly outputs: PlatformStep<PlatformOutputs>;
  /** The model registry of `target`. */
  registry(target: DeployTarget): ModelRegistry;
  /** The deployments container of `target` (releases, the journal). */
  deployments(target: DeployTarget): StorageBackend;
  /** The function app of `target`. */
  app(target: DeployTarget, hosting: HostingMode): AppHost;
  /** Where trained model folders are written. */
  readonly trainedDir: string;
  /** Extra environment of the trainer (the stand-ins' endpoints locally). */
  trainerEnv(): Readonly<Record<string, string>>;
  /** What the plan shows for values known only from the outputs. */
  readonly planned: {
    readonly modelStore: string;
    readonly deployments: string;
    readonly functionUrl: string;
  };
  /** How "point" reaches the app in each hosting mode, for the plan. */
  readonly pointVia: Readonly<Record<HostingMode, string>>;
  /** What the plan says of the hosting mode where it is known only from the outputs. */
  readonly hostingNote?: string;
  /** How often waiting steps poll the app, ms. */
  readonly pollMs: number;
  /** Stops what the platform started (nothing on Azure). */
  stop(): Promise<void>;
}
