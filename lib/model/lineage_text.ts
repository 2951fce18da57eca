/**
 * A model's lineage as lines of text, for `deno task model show`: which data (URI, sha256,
 * shape, blob version) and which commit and CI job made it.
 * @module
 */
import type { DataRecord } from "../data/lineage.ts";
import type { ModelArtifact } from "./artifact.ts";

function recordText(r: DataRecord): string {
  const blob = [
    r.version_id ? `version ${r.version_id}` : "",
    r.etag ? `etag ${r.etag}` : "",
  ].filter(Boolean).join(", ");
  return `${r.uri} (${r.rows} rows x ${r.columns} columns, sha256 ${r.sha256}${
    blob ? `, ${blob}` : ""
  })`;
}

/**
 * The lineage lines of a model, `[label, text]` pairs; a model made before lineage says so.
 *
 * @example
 * ```ts
 * import { lineageLines } from "./lineage_text.ts";
 * import type { ModelArtifact } from "./artifact.ts";
 * lineageLines({ data: undefined } as unknown as ModelArtifact); // [["data", "not recorded ..."]]
 * ```
 */
export function lineageLines(artifact: ModelArtifact): [string, string][] {
  const out: [string, string][] = [];
  const { data, build } = artifact;
  if (!data) {
    out.push(["data", "not recorded (a model made before lineage)"]);
  } else {
    out.push(["data.train", recordText(data.train)]);
    if (data.eval) out.push(["data.eval", recordText(data.eval)]);
    if (data.held_out) {
      out.push([
        "held out",
        `test_size ${data.held_out.test_size}, seed ${data.held_out.seed} (stratified)`,
      ]);
    }
  }
  if (build?.git_commit) out.push(["git commit", build.git_commit]);
  if (build?.ci_pipeline_id) out.push(["pipeline", build.ci_pipeline_id]);
  if (build?.ci_job_id) out.push(["job", build.ci_job_id]);
  return out;
}
