/**
 * The deploy step runner: runs named steps in order, stops at the first failure with a message
 * naming the step, and then undoes, newest first, what the steps that had finished registered as
 * undoable (the model alias, the app's package setting). In a dry run it only describes each
 * step with its parameters. It knows nothing of Azure: steps are plain async functions.
 * @module
 */
import { describeError } from "../../lib/errors.ts";

/** An action that puts back what a finished step changed. */
export interface UndoAction {
  /** What it restores, e.g. "model alias production". */
  readonly name: string;
  /** Restores it; returns a one-line account ("production -> 2026...-ab12cd34"). */
  run(): Promise<string>;
}

/** One step of a deploy. */
export interface Step {
  /** Short machine name, e.g. "infra", "smoke". */
  readonly name: string;
  /** What it does, one line. */
  readonly title: string;
  /**
   * Its parameters for the plan a dry run prints. Values the step learns only from earlier
   * steps read as placeholders such as `<output function_app_url>`.
   */
  params(): Record<string, string>;
  /** Runs it. `undo` registers an action that the runner calls if a later step fails. */
  run(undo: (action: UndoAction) => void): Promise<string | void>;
}

/** What happened to one step. */
export interface StepOutcome {
  readonly name: string;
  readonly title: string;
  readonly status: "ok" | "failed" | "skipped" | "planned";
  readonly ms: number;
  /** The step's summary, or the error message. */
  readonly detail: string;
  readonly params: Record<string, string>;
}

/** What happened to one undo action. */
export interface UndoOutcome {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** The result of {@link runSteps}. */
export interface RunReport {
  readonly ok: boolean;
  readonly dryRun: boolean;
  /** The step that failed, if any. */
  readonly failedStep: string | null;
  /** "deploy failed at step smoke: ..." when a step failed. */
  readonly error: string | null;
  readonly steps: readonly StepOutcome[];
  /** The undo actions run after a failure, newest first. */
  readonly rollback: readonly UndoOutcome[];
}

/** Options of {@link runSteps}. */
export interface RunOptions {
  /** Describe the steps without running any. */
  readonly dryRun?: boolean;
  /** Progress lines (stderr in the CLI). */
  readonly log?: (line: string) => void;
}

/**
 * Runs `steps` in order. On the first failure the remaining steps are skipped and the undo
 * actions registered so far run newest first; an undo that fails is reported and the others
 * still run.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runSteps } from "./steps.ts";
 * const report = await runSteps([
 *   { name: "hello", title: "say hello", params: () => ({}), run: () => Promise.resolve("hi") },
 * ]);
 * assert.equal(report.ok, true);
 * assert.equal(report.steps[0]?.detail, "hi");
 * ```
 */
export async function runSteps(
  steps: readonly Step[],
  { dryRun = false, log = () => {} }: RunOptions = {},
): Promise<RunReport> {
  const outcomes: StepOutcome[] = [];
  const undo: UndoAction[] = [];
  let failed: { step: Step; message: string } | undefined;
  for (const [i, step] of steps.entries()) {
    const params = step.params();
    const head = `[${i + 1}/${steps.length}] ${step.name}: ${step.title}`;
    if (dryRun) {
      log(head);
      for (const [k, v] of Object.entries(params)) log(`      ${k} = ${v}`);
      outcomes.push({ ...base(step, params), status: "planned", ms: 0, detail: "" });
      continue;
    }
    if (failed) {
      outcomes.push({ ...base(step, params), status: "skipped", ms: 0, detail: "" });
      continue;
    }
    log(head);
    const t0 = performance.now();
    try {
      const detail = (await step.run((action) => undo.push(action))) ?? "";
      const ms = Math.round(performance.now() - t0);
      if (detail) log(`      ${detail}`);
      outcomes.push({ ...base(step, params), status: "ok", ms, detail });
    } catch (err) {
      const ms = Math.round(performance.now() - t0);
      const message = describeError(err);
      log(`      FAILED: ${message}`);
      outcomes.push({ ...base(step, params), status: "failed", ms, detail: message });
      failed = { step, message };
    }
  }
  const rollback: UndoOutcome[] = [];
  if (failed && undo.length > 0) {
    log(`rolling back ${undo.length} change(s)`);
    for (const action of undo.reverse()) {
      try {
        const detail = await action.run();
        log(`      restored ${action.name}: ${detail}`);
        rollback.push({ name: action.name, ok: true, detail });
      } catch (err) {
        const detail = describeError(err);
        log(`      could NOT restore ${action.name}: ${detail}`);
        rollback.push({ name: action.name, ok: false, detail });
      }
    }
  }
  return {
    ok: failed === undefined,
    dryRun,
    failedStep: failed?.step.name ?? null,
    error: failed ? `deploy failed at step ${failed.step.name}: ${failed.message}` : null,
    steps: outcomes,
    rollback,
  };
}

function base(step: Step, params: Record<string, string>) {
  return { name: step.name, title: step.title, params };
}
