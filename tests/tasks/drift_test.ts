import assert from "node:assert/strict";
import { join } from "node:path";
import { serializeModel } from "../../lib/model/artifact.ts";
import { Rng, uniformModel, uniformRows } from "../support/drift.ts";
import { listDir, withTempDir } from "../support/fixtures.ts";

const TASK = join(import.meta.dirname!, "../../tasks/drift.ts");
const MODEL = uniformModel({ nFeatures: 3 });

async function drift(args: string[], cwd?: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    // The task's permissions (deno.json): env, net and sys read --data from Blob Storage.
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
      "--allow-sys",
      TASK,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    ...(cwd ? { cwd } : {}),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A folder with model.json, steady.csv (like the training data) and shifted.csv (f1 moved). */
async function withFiles(fn: (dir: string) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "model.json"), serializeModel(MODEL.artifact));
    const rng = new Rng(12);
    for (const [name, shift] of [["steady", {}], ["shifted", { 1: 0.5 }]] as const) {
      const x = uniformRows(rng, 2000, 3, shift);
      const lines = ["f0,f1,f2"];
      for (let i = 0; i < 2000; i++) lines.push(Array.from(x.subarray(i * 3, i * 3 + 3)).join(","));
      await Deno.writeTextFile(join(dir, `${name}.csv`), lines.join("\n") + "\n");
    }
    await fn(dir);
  });
}

Deno.test("deno task drift writes drift.json and drift.html and summarises each feature's tests", async () => {
  await withFiles(async (dir) => {
    const out = join(dir, "report");
    const res = await drift(["--model", dir, "--data", join(dir, "shifted.csv"), "--out", out]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, "");
    assert.match(
      res.stderr,
      /\(2000 rows\) against .*: no data-set drift \(33% of features drifted; chi-square on the bins, alpha 0\.05, bonferroni, share 0\.5\)/,
    );
    assert.match(res.stderr, /^ {2}f1 +\d\.\d{4} +\d\.\d{4} +0\.0e\+0 +- +- +yes$/m);
    assert.match(res.stderr, /^ {2}f0 +0\.0\d{3} +0\.\d{4} +0\.\d{4} +- +- +no$/m);
    assert.match(res.stderr, /prediction drift: unavailable: the model records no training class/);
    assert.deepEqual(await listDir(out), ["drift.html", "drift.json"]);
    const doc = JSON.parse(await Deno.readTextFile(join(out, "drift.json")));
    assert.equal(doc.format, "fluxops.drift/v2");
    assert.equal(doc.model_version, MODEL.artifact.version);
    assert.equal(doc.window, 2000);
    assert.equal(doc.test, "chi2");
    assert.deepEqual(Object.keys(doc.features), ["f0", "f1", "f2"]);
    assert.equal(doc.features.f1.recent.length, 10);
    assert.equal(doc.features.f1.drifted, true);
    assert.equal(doc.prediction.available, false);
    assert.equal(doc.performance, null);
  });
});

Deno.test("deno task drift --reference adds KS and Wasserstein, and KS decides", async () => {
  await withFiles(async (dir) => {
    const res = await drift([
      "--model",
      dir,
      "--data",
      join(dir, "shifted.csv"),
      "--reference",
      join(dir, "steady.csv"),
      "--out",
      join(dir, "o"),
      "--json",
    ]);
    assert.equal(res.code, 0, res.stderr);
    const doc = JSON.parse(res.stdout);
    assert.equal(doc.test, "ks");
    assert.equal(doc.reference, join(dir, "steady.csv"));
    for (const f of Object.values(doc.features) as Record<string, number | string>[]) {
      assert.equal(f.test, "ks");
      assert.equal(f.p_value, f.ks_p_value);
      assert.equal(typeof f.wasserstein_norm, "number");
    }
    assert.equal(doc.features.f1.drifted, true);
    assert.ok(doc.features.f1.ks_statistic > 0.4);
    assert.ok(Math.abs(doc.features.f1.wasserstein_norm - 0.5 / Math.sqrt(1 / 12)) < 0.1);
    assert.equal(doc.features.f0.drifted, false);
  });
});

Deno.test("deno task drift --json prints the report and defaults to .fluxops/drift/<version>", async () => {
  await withFiles(async (dir) => {
    const res = await drift(["--model", "model.json", "--data", "steady.csv", "--json"], dir);
    assert.equal(res.code, 0, res.stderr);
    const summary = JSON.parse(res.stdout);
    assert.equal(summary.status, "ok");
    assert.equal(summary.dataset_drift, false);
    assert.equal(summary.window, 2000);
    assert.deepEqual(Object.keys(summary.features.f0).slice(0, 7), [
      "psi",
      "js_distance",
      "chi2_p_value",
      "p_value",
      "test",
      "drifted",
      "status",
    ]);
    const folder = join(".fluxops", "drift", MODEL.artifact.version);
    assert.equal(summary.json, join(folder, "drift.json"));
    assert.deepEqual(await listDir(join(dir, folder)), ["drift.html", "drift.json"]);
  });
});

Deno.test("deno task drift --fail-on exits 1 on a drifted feature or data set, else 0", async () => {
  await withFiles(async (dir) => {
    const run = (data: string, ...more: string[]) =>
      drift(["--model", dir, "--data", join(dir, data), "--out", join(dir, "o"), ...more]);
    assert.equal((await run("shifted.csv", "--fail-on", "feature")).code, 1);
    assert.equal((await run("shifted.csv", "--fail-on", "dataset")).code, 0, "1 of 3 features");
    assert.equal(
      (await run("shifted.csv", "--fail-on", "dataset", "--share", "0.3")).code,
      1,
      "a third is at least 0.3",
    );
    assert.equal((await run("steady.csv", "--fail-on", "feature")).code, 0);
    assert.equal((await run("shifted.csv", "--fail-on", "feature", "--correction", "fdr")).code, 1);
  });
});

Deno.test("deno task drift --quality counts missing and non-numeric cells instead of failing", async () => {
  await withFiles(async (dir) => {
    await Deno.writeTextFile(
      join(dir, "dirty.csv"),
      "f0,f1,f2\n0.1,0.2,0.3\n,0.5,abc\n0.4,,1.7\n0.5,0.6,0.7\n",
    );
    const strict = await drift(["--model", dir, "--data", join(dir, "dirty.csv")]);
    assert.equal(strict.code, 3);
    assert.match(strict.stderr, /dirty\.csv:3: column "f0" \(1\)/);
    const res = await drift([
      "--model",
      dir,
      "--data",
      join(dir, "dirty.csv"),
      "--quality",
      "--json",
      "--out",
      join(dir, "o"),
    ]);
    assert.equal(res.code, 0, res.stderr);
    const q = (name: string) => JSON.parse(res.stdout).features[name].quality;
    assert.deepEqual(
      [q("f0").missing, q("f0").non_numeric, q("f0").out_of_range, q("f0").share_missing],
      [1, 0, 0, 0.25],
    );
    assert.deepEqual([q("f1").missing, q("f1").non_numeric], [1, 0]);
    assert.deepEqual([q("f2").missing, q("f2").non_numeric, q("f2").out_of_range], [0, 1, 1]);
    assert.equal(JSON.parse(res.stdout).window, 4);
  });
});

Deno.test("deno task drift exits 2 on usage errors, 3 on data errors, 4 on model errors", async () => {
  await withFiles(async (dir) => {
    await Deno.writeTextFile(join(dir, "bad.csv"), "f0,f1\n1,2\n");
    await Deno.writeTextFile(join(dir, "corrupt.json"), "{}");
    const steady = join(dir, "steady.csv");
    const cases: [string[], number, RegExp][] = [
      [["--data", "x.csv"], 2, /^error: --model is required/],
      [["--model", dir], 2, /^error: --data is required/],
      [
        ["--model", dir, "--data", "x.csv", "--fail-on", "panic"],
        2,
        /^error: --fail-on must be dataset or feature, got panic$/m,
      ],
      [
        ["--model", dir, "--data", steady, "--alpha", "1"],
        2,
        /^error: --alpha must be a number between 0 and 1, got 1$/m,
      ],
      [
        ["--model", dir, "--data", steady, "--alpha", "x"],
        2,
        /^error: --alpha must be a number between 0 and 1, got x$/m,
      ],
      [
        ["--model", dir, "--data", steady, "--share", "0"],
        2,
        /^error: --share must be a number greater than 0 and at most 1, got 0$/m,
      ],
      [
        ["--model", dir, "--data", steady, "--correction", "holm"],
        2,
        /^error: --correction must be bonferroni or fdr, got holm$/m,
      ],
      [
        // Blob data (issue 16): azblob:// goes through AZURE_STORAGE_CONNECTION_STRING.
        ["--model", dir, "--data", "azblob://container/d.csv"],
        2,
        /azblob:\/\/container.* needs AZURE_STORAGE_CONNECTION_STRING/,
      ],
      [["--modle", dir], 2, /^error: unknown flag --modle \(see --help\)$/m],
      [
        ["--model", dir, "--data", join(dir, "bad.csv")],
        3,
        /bad\.csv: columns do not match the model/,
      ],
      [["--model", dir, "--data", join(dir, "none.csv")], 3, /none\.csv/],
      [
        ["--model", dir, "--data", steady, "--reference", join(dir, "none.csv")],
        3,
        /none\.csv/,
      ],
      [["--model", join(dir, "nothing"), "--data", steady], 4, /nothing/],
      [["--model", join(dir, "corrupt.json"), "--data", steady], 4, /corrupt\.json/],
    ];
    for (const [args, code, message] of cases) {
      const res = await drift([...args, "--out", join(dir, "never")]);
      assert.equal(res.code, code, `${args.join(" ")}: ${res.stderr}`);
      assert.match(res.stderr, message);
      assert.equal(res.stderr.trim().split("\n").length, 1, res.stderr);
    }
    assert.ok(!(await listDir(dir)).includes("never"));
    const help = await drift(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--fail-on WHAT/);
    assert.match(help.stdout, /--reference TRAIN/);
  });
});
