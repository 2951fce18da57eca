/**
 * Where a model was built: the git commit and, in GitLab CI, the pipeline and job, recorded in
 * model.json's `build` beside the data lineage.
 * @module
 */

/** model.json's `build`. Fields are absent when unknown. */
export interface BuildInfo {
  readonly git_commit?: string;
  readonly ci_pipeline_id?: string;
  readonly ci_job_id?: string;
}

function envVar(name: string): string | undefined {
  try {
    const v = Deno.env.get(name);
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  } catch {
    return undefined; // no --allow-env: nothing recorded rather than a failed training
  }
}

/** The current commit from `git rev-parse HEAD`, or undefined (no git, no repository, no permission). */
async function gitHead(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("git", {
      args: ["rev-parse", "HEAD"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    const sha = new TextDecoder().decode(out.stdout).trim();
    return out.success && /^[0-9a-f]{40,64}$/.test(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The build's provenance: CI_COMMIT_SHA (else `git rev-parse HEAD`), CI_PIPELINE_ID, CI_JOB_ID.
 */
export async function buildInfo(): Promise<BuildInfo> {
  const commit = envVar("CI_COMMIT_SHA") ?? await gitHead();
  const pipeline = envVar("CI_PIPELINE_ID");
  const job = envVar("CI_JOB_ID");
  return {
    ...(commit ? { git_commit: commit } : {}),
    ...(pipeline ? { ci_pipeline_id: pipeline } : {}),
    ...(job ? { ci_job_id: job } : {}),
  };
}
