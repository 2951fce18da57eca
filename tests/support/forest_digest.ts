/**
 * A short digest of a forest's arrays, to pin models byte for byte in tests.
 * @module
 */
import { createHash } from "node:crypto";
import type { Forest } from "../../lib/forest/forest.ts";

/** The first 16 hex digits of the SHA-256 of every node array and the importances. */
export function forestDigest(forest: Forest): string {
  const h = createHash("sha256");
  for (
    const a of [
      forest.treeOffsets,
      forest.feature,
      forest.threshold,
      forest.right,
      forest.leafValues,
      forest.importances,
    ]
  ) {
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return h.digest("hex").slice(0, 16);
}
