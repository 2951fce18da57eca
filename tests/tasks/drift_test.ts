import assert from "node:assert/strict";
import { join } from "node:path";
import { serializeModel } from "../../lib/model/artifact.ts";
import { Rng, uniformModel, uniformRows } from "../support/drift.ts";
import { listDir, withTempDir } from "../support/fixtures.ts";

const TASK = join(import.meta.dirname!, "../../tasks/drift.ts");
const MODEL = uniformModel({ nFeatures: 3 });

async function drift(args: string[], cwd?: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", TASK, ...args],
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

Deno.test("deno task drift writes drift.json and drift.html and summarises each feature", async () => {
  await withFiles(async (dir) => {
    const out = join(dir, "report");
    const res = await drift(["--model", dir, "--data", join(dir, "shifted.csv"), "--out", out]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, "");
    assert.match(
      res.stderr,
      /\(2000 rows\) against .*: overall PSI \d\.\d{4} \(mean\), status alert/,
    );
    assert.match(res.stderr, /^ {2}f1 {2}\d\.\d{4} {2}alert$/m);
    assert.match(res.stderr, /^ {2}f0 {2}0\.0\d{3} {2}ok$/m);
    assert.deepEqual(await listDir(out), ["drift.html", "drift.json"]);
    const doc = JSON.parse(await Deno.readTextFile(join(out, "drift.json")));
    assert.equal(doc.format, "fluxops.drift/v1");
    assert.equal(doc.model_version, MODEL.artifact.version);
    assert.equal(doc.window, 2000);
    assert.deepEqual(Object.keys(doc.features), ["f0", "f1", "f2"]);
    assert.equal(doc.features.f1.recent.length, 10);
  });
});

Deno.test("deno task drift --json prints the figures and defaults to .fluxops/drift/<version>", async () => {
  await withFiles(async (dir) => {
    const res = await drift(["--model", "model.json", "--data", "steady.csv", "--json"], dir);
    assert.equal(res.code, 0, res.stderr);
    const summary = JSON.parse(res.stdout);
    assert.equal(summary.status, "ok");
    assert.equal(summary.window, 2000);
    assert.deepEqual(Object.keys(summary.features.f0), ["psi", "status"]);
    const folder = join(".fluxops", "drift", MODEL.artifact.version);
    assert.equal(summary.json, join(folder, "drift.json"));
    assert.deepEqual(await listDir(join(dir, folder)), ["drift.html", "drift.json"]);
  });
});

Deno.test("deno task drift --fail-on exits 1 when a feature reaches the level, else 0", async () => {
  await withFiles(async (dir) => {
    const run = (data: string, level: string) =>
      drift([
        "--model",
        dir,
        "--data",
        join(dir, data),
        "--out",
        join(dir, "o"),
        "--fail-on",
        level,
      ]);
    assert.equal((await run("shifted.csv", "alert")).code, 1);
    assert.equal((await run("shifted.csv", "warn")).code, 1);
    assert.equal((await run("steady.csv", "warn")).code, 0);
  });
});

Deno.test("deno task drift exits 2 on usage errors, 3 on data errors, 4 on model errors", async () => {
  await withFiles(async (dir) => {
    await Deno.writeTextFile(join(dir, "bad.csv"), "f0,f1\n1,2\n");
    await Deno.writeTextFile(join(dir, "corrupt.json"), "{}");
    const cases: [string[], number, RegExp][] = [
      [["--data", "x.csv"], 2, /^error: --model is required/],
      [["--model", dir], 2, /^error: --data is required/],
      [
        ["--model", dir, "--data", "x.csv", "--fail-on", "panic"],
        2,
        /--fail-on: expected warn or alert, got "panic"/,
      ],
      [["--modle", dir], 2, /^error: .*modle.* \(see --help\)/],
      [
        ["--model", dir, "--data", join(dir, "bad.csv")],
        3,
        /bad\.csv: columns do not match the model/,
      ],
      [["--model", dir, "--data", join(dir, "none.csv")], 3, /none\.csv/],
      [["--model", join(dir, "nothing"), "--data", join(dir, "steady.csv")], 4, /nothing/],
      [
        ["--model", join(dir, "corrupt.json"), "--data", join(dir, "steady.csv")],
        4,
        /corrupt\.json/,
      ],
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
    assert.match(help.stdout, /--fail-on LEVEL/);
  });
});
