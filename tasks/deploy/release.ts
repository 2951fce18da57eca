/**
 * Names of function-package releases: every deploy uploads its zip as a new, immutable blob
 * `function/<UTC time>-<8 hex of its SHA-256>.zip` in the `deployments` container, so the app's
 * previous package setting always names a blob that still exists and a rollback is one setting.
 * @module
 */
import { InvalidInput } from "../../lib/errors.ts";
import { sha256Hex } from "../../lib/model/canonical.ts";

/** The folder of package releases in the `deployments` container. */
export const RELEASE_PREFIX = "function/";

const RELEASE_RE = /^function\/\d{8}T\d{6}Z-[0-9a-f]{8}\.zip$/;

/** A package release: its blob name and the digest of its bytes. */
export interface Release {
  /** `function/20261125T183000Z-1a2b3c4d.zip`. */
  readonly blob: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** The UTC time as `20261125T183000Z`. */
export function stamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/**
 * The release name of a package's bytes at time `at`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { releaseOf } from "./release.ts";
 * const zipBytes = new TextEncoder().encode("the bytes of function.zip");
 * const { blob } = releaseOf(zipBytes, new Date("2026-11-25T18:30:00Z"));
 * assert.match(blob, /^function\/20261125T183000Z-[0-9a-f]{8}\.zip$/);
 * ```
 */
export function releaseOf(bytes: Uint8Array, at: Date = new Date()): Release {
  const sha256 = sha256Hex(bytes);
  return {
    blob: `${RELEASE_PREFIX}${stamp(at)}-${sha256.slice(0, 8)}.zip`,
    sha256,
    bytes: bytes.length,
  };
}

/** Whether `blob` is a release name. */
export function isRelease(blob: string): boolean {
  return RELEASE_RE.test(blob);
}

/**
 * The package setting (`WEBSITE_RUN_FROM_PACKAGE`) for a release in the container at
 * `deployments` (a container URL, or `azblob://deployments` locally).
 */
export function packageUrl(deployments: string, blob: string): string {
  return `${deployments.replace(/\/+$/, "")}/${blob}`;
}

/**
 * The blob name a package setting points at inside the container `deployments`.
 * @throws {InvalidInput} when the setting names a blob elsewhere.
 */
export function blobOf(deployments: string, setting: string): string {
  const prefix = `${deployments.replace(/\/+$/, "")}/`;
  if (!setting.startsWith(prefix) || setting.length === prefix.length) {
    throw new InvalidInput(
      `package setting "${setting.replace(/[?#].*$/s, "")}" is not a blob in ${deployments}`,
    );
  }
  return setting.slice(prefix.length);
}
