import assert from "node:assert/strict";
import { runSteps, type Step, type UndoAction } from "../../../tasks/deploy/steps.ts";

/** A step that records its run, optionally fails, and registers an undo that records too. */
function step(
  name: string,
  calls: string[],
  { fail = false, undo = false, undoFails = false } = {},
): Step {
  return {
    name,
    title: `do ${name}`,
    params: () => ({ what: name }),
    run: (register: (a: UndoAction) => void) => {
      calls.push(`run ${name}`);
      if (undo) {
        register({
          name: `undo ${name}`,
          run: () => {
            calls.push(`undo ${name}`);
            return undoFails
              ? Promise.reject(new Error(`${name} cannot be undone`))
              : Promise.resolve(`${name} restored`);
          },
        });
      }
      return fail ? Promise.reject(new Error(`${name} broke`)) : Promise.resolve(`${name} done`);
    },
  };
}

Deno.test("runSteps() runs every step in order and reports each one's summary", async () => {
  const calls: string[] = [];
  const report = await runSteps([step("a", calls), step("b", calls)]);
  assert.deepEqual(calls, ["run a", "run b"]);
  assert.equal(report.ok, true);
  assert.equal(report.error, null);
  assert.deepEqual(report.steps.map((s) => [s.name, s.status, s.detail]), [
    ["a", "ok", "a done"],
    ["b", "ok", "b done"],
  ]);
  assert.deepEqual(report.rollback, []);
});

Deno.test("runSteps() stops at the first failure, names the step and undoes newest first", async () => {
  const calls: string[] = [];
  const lines: string[] = [];
  const report = await runSteps([
    step("promote", calls, { undo: true }),
    step("point", calls, { undo: true }),
    step("smoke", calls, { fail: true }),
    step("after", calls),
  ], { log: (l) => lines.push(l) });
  assert.deepEqual(calls, ["run promote", "run point", "run smoke", "undo point", "undo promote"]);
  assert.equal(report.ok, false);
  assert.equal(report.failedStep, "smoke");
  assert.equal(report.error, "deploy failed at step smoke: smoke broke");
  assert.deepEqual(report.steps.map((s) => s.status), ["ok", "ok", "failed", "skipped"]);
  assert.deepEqual(report.rollback, [
    { name: "undo point", ok: true, detail: "point restored" },
    { name: "undo promote", ok: true, detail: "promote restored" },
  ]);
  assert.ok(lines.some((l) => l.includes("FAILED: smoke broke")));
});

Deno.test("runSteps() reports an undo that fails and still runs the others", async () => {
  const calls: string[] = [];
  const report = await runSteps([
    step("a", calls, { undo: true }),
    step("b", calls, { undo: true, undoFails: true }),
    step("c", calls, { fail: true }),
  ]);
  assert.deepEqual(calls, ["run a", "run b", "run c", "undo b", "undo a"]);
  assert.deepEqual(report.rollback.map((r) => [r.name, r.ok]), [["undo b", false], [
    "undo a",
    true,
  ]]);
  assert.equal(report.rollback[0]!.detail, "b cannot be undone");
});

Deno.test("runSteps() in a dry run describes every step with its parameters and runs none", async () => {
  const calls: string[] = [];
  const lines: string[] = [];
  const report = await runSteps([step("a", calls), step("b", calls, { fail: true })], {
    dryRun: true,
    log: (l) => lines.push(l),
  });
  assert.deepEqual(calls, []);
  assert.equal(report.ok, true);
  assert.equal(report.dryRun, true);
  assert.deepEqual(report.steps.map((s) => [s.status, s.params]), [
    ["planned", { what: "a" }],
    ["planned", { what: "b" }],
  ]);
  assert.deepEqual(lines, ["[1/2] a: do a", "      what = a", "[2/2] b: do b", "      what = b"]);
});
