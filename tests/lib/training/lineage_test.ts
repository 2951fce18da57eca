import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { IntegrityError } from "../../../lib/errors.ts";
import { buildArtifact, parseModel, serializeModel } from "../../../lib/model/artifact.ts";
import { lineageLines } from "../../../lib/model/lineage_text.ts";
import { featureStats } from "../../../lib/model/feature_stats.ts";
import { modelFiles, trainModel } from "../../../lib/training/train_model.ts";
import { withTempDir } from "../../support/fixtures.ts";

const ROOT = join(import.meta.dirname!, "..", "..", "..");

function csv(rows: number, offset: number): string {
  const lines = ["a,b,label"];
  for (let i = 0; i < rows; i++) lines.push(`${i + offset},${(i * 7) % 5},${i % 2 ? "y" : "x"}`);
  return lines.join("\n") + "\n";
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

Deno.test("model.json records the training and eval files' uri, sha256 of their bytes, rows and columns", async () => {
  await withTempDir(async (dir) => {
    const train = join(dir, "train.csv");
    const evalPath = join(dir, "eval.csv");
    await Deno.writeTextFile(train, csv(40, 0));
    await Deno.writeTextFile(evalPath, csv(12, 3));
    const r = await trainModel({
      data: train,
      eval: evalPath,
      params: { n_estimators: 3 },
      workers: 0,
      build: { git_commit: "a".repeat(40), ci_pipeline_id: "77", ci_job_id: "88" },
    });
    assert.deepEqual(r.artifact.data, {
      train: { uri: train, sha256: sha256(await Deno.readFile(train)), rows: 40, columns: 3 },
      eval: { uri: evalPath, sha256: sha256(await Deno.readFile(evalPath)), rows: 12, columns: 3 },
    });
    assert.deepEqual(r.artifact.build, {
      git_commit: "a".repeat(40),
      ci_pipeline_id: "77",
      ci_job_id: "88",
    });
    // The report shows it.
    assert.match(r.report, /<section class="card wide" id="lineage">/);
    assert.ok(r.report.includes(sha256(await Deno.readFile(train)).slice(0, 16)));
    assert.ok(r.report.includes("a".repeat(40)));
  });
});

Deno.test("the checksum covers the lineage: an altered data sha256 or commit is refused", async () => {
  const r = await trainModel({
    params: { n_estimators: 2 },
    workers: 0,
    build: { git_commit: "b".repeat(40) },
  });
  const text = serializeModel(r.artifact);
  assert.equal(parseModel(text).artifact.data?.train.sha256, r.artifact.data?.train.sha256);
  const tampered = [
    text.replace(r.artifact.data!.train.sha256, "0".repeat(64)),
    text.replace("b".repeat(40), "c".repeat(40)),
  ];
  for (const t of tampered) {
    assert.notEqual(t, text);
    assert.throws(() => parseModel(t), IntegrityError);
  }
});

Deno.test("a model made before lineage still loads, and says its data was not recorded", () => {
  const r = buildArtifact({
    target: "y",
    classes: [0, 1],
    features: featureStats(["a"], new Float64Array([0, 1]), 2),
    forest: {
      nFeatures: 1,
      nClasses: 2,
      treeOffsets: new Int32Array([0, 1]),
      feature: new Int32Array([-1]),
      threshold: new Float64Array([0]),
      right: new Int32Array([0]),
      leafValues: new Float64Array([0.5, 0.5]),
      importances: new Float64Array([0]),
    },
    params: {},
    metrics: {},
    engine: { name: "native", version: "1.0.0" },
  });
  const loaded = parseModel(serializeModel(r));
  assert.equal("data" in loaded.artifact, false);
  assert.deepEqual(lineageLines(loaded.artifact), [[
    "data",
    "not recorded (a model made before lineage)",
  ]]);
});

Deno.test("the trainer records GitLab's CI_COMMIT_SHA, CI_PIPELINE_ID and CI_JOB_ID, and model show prints the lineage", async () => {
  await withTempDir(async (dir) => {
    const env = {
      CI_COMMIT_SHA: "c".repeat(40),
      CI_PIPELINE_ID: "4242",
      CI_JOB_ID: "9001",
      NO_COLOR: "1",
    };
    const run = async (script: string, args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", join(ROOT, script), ...args],
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const dec = new TextDecoder();
      assert.equal(out.code, 0, dec.decode(out.stderr));
      return dec.decode(out.stdout);
    };
    const store = join(dir, "store");
    const summary = JSON.parse(
      await run("trainer/main.ts", ["--trees", "2", "--out", join(dir, "m"), "--json"]),
    );
    const model = JSON.parse(await Deno.readTextFile(join(dir, "m", "model.json")));
    assert.deepEqual(model.build, {
      git_commit: "c".repeat(40),
      ci_pipeline_id: "4242",
      ci_job_id: "9001",
    });
    await run("tasks/model.ts", ["publish", join(dir, "m"), "--store", store]);
    const shown = await run("tasks/model.ts", ["show", summary.version, "--store", store]);
    assert.match(
      shown,
      /^data\.train {2}seed:make_classification \(1000 rows x 11 columns, sha256 [0-9a-f]{64}\)$/m,
    );
    assert.match(shown, /^held out {4}test_size 0\.2, seed 42 \(stratified\)$/m);
    assert.match(shown, new RegExp(`^git commit  ${"c".repeat(40)}$`, "m"));
    assert.match(shown, /^pipeline {4}4242$/m);
    assert.match(shown, /^job {9}9001$/m);
    const json = JSON.parse(
      await run("tasks/model.ts", ["show", summary.version, "--store", store, "--json"]),
    );
    assert.equal(json.data.train.sha256, model.data.train.sha256);
  });
});

Deno.test("modelFiles() writes the lineage into model.json byte for byte as built", async () => {
  const r = await trainModel({ params: { n_estimators: 1 }, workers: 0 });
  const text = new TextDecoder().decode(modelFiles(r).get("model.json"));
  assert.deepEqual(JSON.parse(text).data, r.artifact.data);
});
