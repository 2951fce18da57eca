/**
 * Canonical JSON (object keys sorted, no whitespace) and its SHA-256, the basis of model
 * checksums, versions and signatures.
 * @module
 */
import { createHash } from "node:crypto";

/** JSON values as FluxOps writes them. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Serialises a JSON value with sorted keys, so equal content always gives equal bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

/** Lower-case hex SHA-256 of a string's UTF-8 bytes. */
export function sha256Hex(text: string | Uint8Array): string {
  return createHash("sha256").update(text).digest("hex");
}
