/**
 * Assertion for the bad-input tests: the call throws a FluxOps `invalid_input` error.
 * @module
 */

import assert from "node:assert/strict";
import { FluxError } from "../../../lib/errors.ts";

/** Asserts `call` throws an `InvalidInput` whose message contains `message`. */
export function assertInvalidInput(call: () => unknown, message: string): void {
  assert.throws(call, (err: unknown) => {
    assert.ok(err instanceof FluxError, `expected a FluxError, got ${String(err)}`);
    assert.equal(err.code, "invalid_input");
    assert.equal(err.name, "InvalidInput");
    assert.ok(err.message.includes(message), `message ${JSON.stringify(err.message)}`);
    return true;
  });
}
