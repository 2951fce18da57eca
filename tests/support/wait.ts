/**
 * Waiting for events instead of sleeping for a guessed time: a busy machine (a parallel suite on
 * two cores) stretches any fixed pause, so tests wait for what they need to have happened.
 * @module
 */

/** The limit of {@link waitUntil}: far above any wait on a quiet machine, a hang guard only. */
export const WAIT_LIMIT_MS = 60_000;

/**
 * Resolves with `probe()`'s first truthy value (awaited), polling every `everyMs`; rejects naming `what`
 * and the last value after `limitMs`.
 */
export async function waitUntil<T>(
  probe: () => T | Promise<T>,
  what: string,
  { limitMs = WAIT_LIMIT_MS, everyMs = 10 }: { limitMs?: number; everyMs?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = performance.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (performance.now() > deadline) {
      throw new Error(`waited ${limitMs} ms for ${what}; last: ${String(value)}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Polls `fn` every `everyMs` until `ok` holds of its value or `limitMs` has passed, and resolves
 * with the last value either way, for the caller to assert on: the limit is a hang guard (a busy
 * machine is slow), not a claim.
 */
export async function pollUntil<T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  { limitMs = WAIT_LIMIT_MS, everyMs = 50 }: { limitMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
