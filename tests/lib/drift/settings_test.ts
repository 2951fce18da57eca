import assert from "node:assert/strict";
import { driftMonitorFromEnv } from "../../../lib/drift/settings.ts";
import { FluxError } from "../../../lib/errors.ts";

const none = () => {};
const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("driftMonitorFromEnv() reads the window and the minimum, with defaults", () => {
  const byDefault = driftMonitorFromEnv(envOf({}), none)!;
  assert.deepEqual([byDefault.capacity, byDefault.minRows], [1000, 100]);
  const set = driftMonitorFromEnv(
    envOf({ FLUXOPS_DRIFT_WINDOW: "5000", FLUXOPS_DRIFT_MIN_ROWS: "2000" }),
    none,
  )!;
  assert.deepEqual([set.capacity, set.minRows], [5000, 2000]);
  const small = driftMonitorFromEnv(envOf({ FLUXOPS_DRIFT_WINDOW: " 80 " }), none)!;
  assert.deepEqual([small.capacity, small.minRows], [80, 80]);
  assert.equal(byDefault.settings.alpha, 0.005);
  const strict = driftMonitorFromEnv(envOf({ FLUXOPS_DRIFT_ALPHA: "0.001" }), none)!;
  assert.equal(strict.settings.alpha, 0.001);
});

Deno.test("driftMonitorFromEnv() turns monitoring off for a window of 0", () => {
  assert.equal(driftMonitorFromEnv(envOf({ FLUXOPS_DRIFT_WINDOW: "0" }), none), null);
});

const BAD: [Record<string, string>, string][] = [
  [
    { FLUXOPS_DRIFT_ALPHA: "1.5" },
    'FLUXOPS_DRIFT_ALPHA: expected a significance level between 0 and 1, got "1.5"',
  ],
  [
    { FLUXOPS_DRIFT_ALPHA: "five" },
    'FLUXOPS_DRIFT_ALPHA: expected a significance level between 0 and 1, got "five"',
  ],
  [
    { FLUXOPS_DRIFT_WINDOW: "1e3" },
    'FLUXOPS_DRIFT_WINDOW: expected a whole number of rows, got "1e3"',
  ],
  [
    { FLUXOPS_DRIFT_WINDOW: "-5" },
    'FLUXOPS_DRIFT_WINDOW: expected a whole number of rows, got "-5"',
  ],
  [
    { FLUXOPS_DRIFT_MIN_ROWS: "lots" },
    'FLUXOPS_DRIFT_MIN_ROWS: expected a whole number of rows, got "lots"',
  ],
  [
    { FLUXOPS_DRIFT_MIN_ROWS: "0" },
    "FLUXOPS_DRIFT_MIN_ROWS: expected 1 to 1000 (FLUXOPS_DRIFT_WINDOW), got 0",
  ],
  [
    { FLUXOPS_DRIFT_WINDOW: "100", FLUXOPS_DRIFT_MIN_ROWS: "101" },
    "FLUXOPS_DRIFT_MIN_ROWS: expected 1 to 100 (FLUXOPS_DRIFT_WINDOW), got 101",
  ],
];
for (const [vars, message] of BAD) {
  Deno.test(`driftMonitorFromEnv() refuses ${JSON.stringify(vars)} with a usage error`, () => {
    assert.throws(() => driftMonitorFromEnv(envOf(vars), none), (err: unknown) => {
      assert.ok(err instanceof FluxError);
      assert.equal(err.code, "usage");
      assert.equal(err.message, message);
      return true;
    });
  });
}
