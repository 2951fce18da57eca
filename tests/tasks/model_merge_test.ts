import assert from "node:assert/strict";
import { join } from "node:path";
import { listDir, withTempDir } from "../support/fixtures.ts";

const ROOT = join(import.meta.dirname!, "..", "..");

async function deno(script: string, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, script), ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
const train = (args: string[]) => deno("trainer/main.ts", ["--workers", "1", ...args]);
const model = (args: string[]) => deno("tasks/model.ts", args);

function csv(rows: number, seed: number): string {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const lines = ["f1,f2,f3,label"];
  for (let i = 0; i < rows; i++) {
    const a = rnd(), b = rnd(), c = rnd();
    lines.push(`${a.toFixed(4)},${b.toFixed(4)},${c.toFixed(4)},${a + b > 1 ? "yes" : "no"}`);
  }
  return lines.join("\n") + "\n";
}

interface ModelJson {
  forest: unknown;
  metrics: unknown;
  data: unknown;
  features: unknown;
}

Deno.test("train --shard K/N for every K, then model merge, makes the unsharded model's forest and metrics", async () => {
  await withTempDir(async (dir) => {
    const data = join(dir, "d.csv");
    await Deno.writeTextFile(data, csv(300, 3));
    const common = ["--data", data, "--trees", "9", "--seed", "4"];
    const whole = await train([...common, "--out", join(dir, "whole")]);
    assert.equal(whole.code, 0, whole.stderr);
    const dirs: string[] = [];
    for (const k of [1, 2, 3]) {
      const out = join(dir, `s${k}`);
      const r = await train([...common, "--shard", `${k}/3`, "--out", out, "--json"]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout).trees, [k - 1, k + 2, k + 5]);
      dirs.push(out);
    }
    const merged = await model([
      "merge",
      ...dirs.reverse(),
      "--out",
      join(dir, "merged"),
      "--json",
    ]);
    assert.equal(merged.code, 0, merged.stderr);
    const read = async (d: string) =>
      JSON.parse(await Deno.readTextFile(join(dir, d, "model.json"))) as ModelJson;
    const [a, b] = [await read("whole"), await read("merged")];
    assert.deepEqual(b.forest, a.forest);
    assert.deepEqual(b.metrics, a.metrics);
    assert.deepEqual(b.features, a.features);
    assert.deepEqual(b.data, a.data);
    // The trainer merges a folder of shard folders the same way (the deploy's train step).
    const byTrainer = await deno("trainer/main.ts", [
      "--shards",
      dir,
      "--out",
      join(dir, "by-trainer"),
      "--json",
    ]);
    assert.equal(byTrainer.code, 0, byTrainer.stderr);
    assert.deepEqual((await read("by-trainer")).forest, a.forest);
    assert.deepEqual(await listDir(join(dir, "merged")), [
      "metrics.json",
      "model.json",
      "report.html",
    ]);
  });
});

Deno.test("model merge refuses shards that do not make one training and writes nothing", async () => {
  await withTempDir(async (dir) => {
    const data = join(dir, "d.csv");
    await Deno.writeTextFile(data, csv(200, 5));
    const shard = async (name: string, spec: string, extra: string[] = []) => {
      const r = await train([
        "--data",
        data,
        "--trees",
        "4",
        "--shard",
        spec,
        "--out",
        join(dir, name),
        ...extra,
      ]);
      assert.equal(r.code, 0, r.stderr);
      return join(dir, name);
    };
    const s1 = await shard("s1", "1/2");
    const s2 = await shard("s2", "2/2");
    const seed = await shard("seed", "2/2", ["--seed", "9"]);
    const trees = await shard("trees", "2/2", ["--trees", "6"]);
    const cases: [string, string[], number, RegExp][] = [
      ["a missing shard", [s1], 1, /shard 2\/2 missing/],
      ["a duplicate shard", [s1, s2, s2], 1, /shard 2\/2 is given twice/],
      ["a shard of another seed", [s1, seed], 1, /does not belong with .*: seed 42 vs 9/],
      ["a shard of another forest size", [s1, trees], 1, /does not belong with .*: parameters/],
      ["a folder without a shard", [s1, dir], 1, /no such shard file/],
      ["no shards", [], 2, /give the shard folders/],
    ];
    for (const [what, args, code, message] of cases) {
      const r = await model(["merge", ...args, "--out", join(dir, "out")]);
      assert.equal(r.code, code, `${what}: ${r.stderr}`);
      assert.match(r.stderr, message, what);
      assert.ok(!(await listDir(dir)).includes("out"), `${what}: nothing written`);
    }
    // The data changed after the shards were trained: refused, nothing written.
    await Deno.writeTextFile(data, csv(200, 6));
    const r = await model(["merge", s1, s2, "--out", join(dir, "out")]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /d\.csv: its sha256 .* is not the training data the shards were trained on/,
    );
    assert.ok(!(await listDir(dir)).includes("out"));
  });
});

Deno.test("train --shard refuses a bad spec, another engine and publishing, writing nothing", async () => {
  await withTempDir(async (dir) => {
    const cases: [string, string[], RegExp][] = [
      ["K above N", ["--shard", "4/3"], /--shard: expected K\/N with 1 <= K <= N, got "4\/3"/],
      ["K of zero", ["--shard", "0/3"], /--shard: expected K\/N/],
      ["no N", ["--shard", "2"], /--shard: expected K\/N/],
      ["ml-random-forest", ["--shard", "1/2", "--engine", "ml-random-forest"], /native engine/],
      ["--publish", ["--shard", "1/2", "--publish"], /a shard is not a model/],
      ["--promote", ["--shard", "1/2", "--promote", "production"], /a shard is not a model/],
      ["--shard with --shards", ["--shard", "1/2", "--shards", "x"], /choose one/],
      ["--shards with a training flag", ["--shards", "x"], /--trees belongs to their training/],
    ];
    for (const [what, args, message] of cases) {
      const r = await train(["--trees", "3", "--out", join(dir, "out"), ...args]);
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      assert.match(r.stderr, message, what);
      assert.deepEqual(await listDir(dir), [], what);
    }
  });
});
