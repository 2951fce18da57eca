import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "../../trainer/main.ts";
import { loadModel } from "../../lib/model/artifact.ts";
import { listDir, withTempDir } from "../support/fixtures.ts";

/** Runs the trainer in a subprocess, as a user would. */
async function runTrainer(args: string[], cwd?: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(import.meta.dirname!, "../../trainer/main.ts"), ...args],
    stdout: "piped",
    stderr: "piped",
    ...(cwd ? { cwd } : {}),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const CSV_OK = "a,b,label\n1,2,x\n2,1,y\n3,3,x\n4,1,y\n5,5,x\n6,2,y\n7,7,x\n8,1,y\n9,9,x\n10,3,y\n";

const failing: [string, string[], Record<string, string>, number][] = [
  ["an unknown flag", ["--bogus"], {}, 2],
  ["a non-integer tree count", ["--trees", "many"], {}, 2],
  ["zero trees", ["--trees", "0"], {}, 2],
  ["an unknown engine", ["--engine", "xgboost"], {}, 2],
  ["a test size of 1", ["--test-size", "1"], {}, 2],
  ["a bad max-features", ["--max-features", "most"], {}, 2],
  ["a negative worker count", ["--workers", "-1"], {}, 2],
  ["a non-integer worker count", ["--workers", "two"], {}, 2],
  ["a missing data file", ["--data", "missing.csv"], {}, 1],
  ["a non-numeric cell", ["--data", "d.csv"], { "d.csv": "a,b\n1,x\nfoo,y\n" }, 1],
  ["a ragged row", ["--data", "d.csv"], { "d.csv": "a,b,c\n1,2,x\n3,y\n" }, 1],
  ["a single class", ["--data", "d.csv"], { "d.csv": "a,c\n1,x\n2,x\n3,x\n" }, 1],
  ["a missing target", ["--data", "d.csv", "--target", "nope"], { "d.csv": CSV_OK }, 1],
  [
    "an eval file with other columns",
    ["--data", "d.csv", "--eval", "e.csv"],
    { "d.csv": CSV_OK, "e.csv": "a,z,label\n1,2,x\n2,1,y\n" },
    1,
  ],
  [
    "an eval file with an unseen class",
    ["--data", "d.csv", "--eval", "e.csv"],
    { "d.csv": CSV_OK, "e.csv": "a,b,label\n1,2,x\n2,1,z\n" },
    1,
  ],
];
for (const [what, args, files, code] of failing) {
  Deno.test(`the trainer exits ${code} on ${what} and leaves no model behind`, async () => {
    await withTempDir(async (dir) => {
      for (const [name, text] of Object.entries(files)) {
        await Deno.writeTextFile(join(dir, name), text);
      }
      const fixed = args.map((a) => (a.endsWith(".csv") ? join(dir, a) : a));
      const result = await runTrainer(["--trees", "3", "--out", join(dir, "out"), ...fixed]);
      assert.equal(result.code, code, result.stderr);
      const lines = result.stderr.trim().split("\n");
      assert.equal(lines.length, 1, `one line on stderr, got: ${result.stderr}`);
      assert.match(lines[0]!, /^error: /);
      assert.ok(!(await listDir(dir)).includes("out"));
    });
  });
}

Deno.test("the trainer writes model.json, metrics.json and report.html for the seed workload", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "m");
    assert.equal(await main(["--trees", "10", "--out", out, "--json"]), 0);
    assert.deepEqual(await listDir(out), ["metrics.json", "model.json", "report.html"]);
    const metrics = JSON.parse(await Deno.readTextFile(join(out, "metrics.json")));
    for (const key of ["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"]) {
      assert.equal(typeof metrics[key], "number", key);
    }
    assert.deepEqual(metrics.classes, [0, 1]);
    assert.equal(metrics.n_train + metrics.n_test, 1000);
    assert.equal(metrics.engine, "native");
    assert.ok(metrics.accuracy > 0.8);
    const model = await loadModel(join(out, "model.json"));
    assert.equal(model.artifact.features.length, 10);
    assert.equal((await Deno.stat(out)).mode! & 0o777, 0o755);
  });
});

Deno.test("the trainer keeps string labels and evaluates on a given file", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "d.csv"), CSV_OK);
    const out = join(dir, "m");
    const result = await runTrainer([
      "--data",
      join(dir, "d.csv"),
      "--eval",
      join(dir, "d.csv"),
      "--trees",
      "5",
      "--engine",
      "ml-random-forest",
      "--max-features",
      "all",
      "--out",
      out,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.engine, "ml-random-forest");
    const metrics = JSON.parse(await Deno.readTextFile(join(out, "metrics.json")));
    assert.deepEqual(metrics.classes, ["x", "y"]);
    assert.equal(metrics.n_test, 10);
    assert.equal(metrics.evaluated_on, "d.csv");
  });
});

Deno.test("the trainer overwrites an existing output folder file by file", async () => {
  await withTempDir(async (dir) => {
    assert.equal(await main(["--trees", "2", "--out", dir, "--seed", "1"]), 0);
    const first = (await loadModel(join(dir, "model.json"))).artifact.sha256;
    assert.equal(await main(["--trees", "2", "--out", dir, "--seed", "2"]), 0);
    assert.notEqual((await loadModel(join(dir, "model.json"))).artifact.sha256, first);
    assert.deepEqual(await listDir(dir), ["metrics.json", "model.json", "report.html"]);
  });
});

Deno.test("the trainer writes the same forest with any number of workers", async () => {
  await withTempDir(async (dir) => {
    const forests = [];
    for (const workers of ["0", "1", "3"]) {
      const out = join(dir, workers);
      assert.equal(await main(["--trees", "7", "--workers", workers, "--out", out]), 0);
      forests.push((await loadModel(join(out, "model.json"))).artifact.forest);
    }
    assert.deepEqual(forests[1], forests[0]);
    assert.deepEqual(forests[2], forests[0]);
  });
});

Deno.test("the trainer prints its flags with --help", async () => {
  const result = await runTrainer(["--help"]);
  assert.equal(result.code, 0);
  for (
    const flag of ["--data", "--target", "--eval", "--trees", "--engine", "--workers", "--out"]
  ) {
    assert.ok(result.stdout.includes(flag), flag);
  }
});

Deno.test("the trainer trains into .fluxops/models/<version> by default", async () => {
  await withTempDir(async (dir) => {
    const result = await runTrainer(["--trees", "2", "--json"], dir);
    assert.equal(result.code, 0, result.stderr);
    const { version } = JSON.parse(result.stdout);
    assert.deepEqual(await listDir(join(dir, ".fluxops", "models")), [version]);
  });
});

Deno.test("the trainer signs when a key is configured and publishes and promotes to a store", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "store");
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(import.meta.dirname!, "../../trainer/main.ts"),
        "--trees",
        "3",
        "--out",
        join(dir, "m"),
        "--promote",
        "staging",
        "--store",
        store,
        "--json",
      ],
      env: { FLUXOPS_SIGNING_KEY: "trainer-test-key-0123456789abcdef" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assert.equal(out.code, 0, dec.decode(out.stderr));
    const summary = JSON.parse(dec.decode(out.stdout));
    assert.equal(summary.signed, true);
    assert.equal(summary.promoted, "staging");
    assert.deepEqual(await listDir(join(dir, "m")), [
      "metrics.json",
      "model.json",
      "model.sig",
      "report.html",
    ]);
    const pointer = JSON.parse(await Deno.readTextFile(join(store, "aliases", "staging.json")));
    assert.equal(pointer.version, summary.version);
    assert.ok(!dec.decode(out.stdout).includes("trainer-test-key"));
  });
});

Deno.test("the trainer publishes its default folder into the local store without copying it", async () => {
  await withTempDir(async (dir) => {
    const result = await runTrainer(["--trees", "2", "--promote", "production", "--json"], dir);
    assert.equal(result.code, 0, result.stderr);
    const { version } = JSON.parse(result.stdout);
    const pointer = JSON.parse(
      await Deno.readTextFile(join(dir, ".fluxops", "aliases", "production.json")),
    );
    assert.equal(pointer.version, version);
  });
});
