import assert from "node:assert/strict";
import { join } from "node:path";
import { main as train } from "../../trainer/main.ts";
import { main as predict } from "../../trainer/predict.ts";
import { csvField } from "../../lib/training/batch_score.ts";
import { listDir, withTempDir } from "../support/fixtures.ts";

const TRAIN = "a,b,label\n1,2,cat\n2,1,dog\n3,3,cat\n4,1,dog\n5,5,cat\n6,2,dog\n7,7,cat\n8,1,dog\n";

async function runPredict(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(import.meta.dirname!, "../../trainer/predict.ts"), ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function withModel(fn: (dir: string, model: string) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "train.csv"), TRAIN);
    const model = join(dir, "model");
    const code = await train([
      "--data",
      join(dir, "train.csv"),
      "--trees",
      "5",
      "--out",
      model,
      "--test-size",
      "0.25",
    ]);
    assert.equal(code, 0);
    await fn(dir, model);
  });
}

Deno.test("predict writes a prediction and one probability column per class", async () => {
  await withModel(async (dir, model) => {
    await Deno.writeTextFile(join(dir, "new.csv"), "b,a\n2,1\n1,8\n");
    const out = join(dir, "scores.csv");
    assert.equal(
      await predict(["--model", model, "--data", join(dir, "new.csv"), "--out", out]),
      0,
    );
    const lines = (await Deno.readTextFile(out)).trim().split("\n");
    assert.equal(lines[0], "prediction,p_cat,p_dog");
    assert.equal(lines.length, 3);
    for (const line of lines.slice(1)) {
      const [label, pc, pd] = line.split(",");
      assert.ok(label === "cat" || label === "dog");
      assert.ok(Math.abs(Number(pc) + Number(pd) - 1) < 1e-9);
    }
  });
});

Deno.test("predict prints accuracy when the file has the target column", async () => {
  await withModel(async (dir, model) => {
    await Deno.writeTextFile(join(dir, "labelled.csv"), TRAIN);
    const result = await runPredict([
      "--model",
      join(model, "model.json"),
      "--data",
      join(dir, "labelled.csv"),
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /scored 8 rows .*accuracy \d\.\d{4}/);
    assert.equal(result.stdout.trim().split("\n").length, 9);
  });
});

const bad: [string, (dir: string, model: string) => string[], number, RegExp][] = [
  ["no --model", (d) => ["--data", join(d, "x.csv")], 2, /--model is required/],
  ["no --data", (_d, m) => ["--model", m], 2, /--data is required/],
  ["an unknown flag", (_d, m) => ["--model", m, "--fast"], 2, /Unknown option/],
  [
    "a missing model",
    (d) => ["--model", join(d, "none.json"), "--data", join(d, "x.csv")],
    1,
    /no such model/,
  ],
  [
    "columns that do not match the model",
    (d, m) => ["--model", m, "--data", join(d, "wrong.csv")],
    1,
    /missing \[b\]; extra \[c\]/,
  ],
];
for (const [what, args, code, message] of bad) {
  Deno.test(`predict exits ${code} on ${what} with a clear message and writes nothing`, async () => {
    await withModel(async (dir, model) => {
      await Deno.writeTextFile(join(dir, "wrong.csv"), "a,c\n1,2\n");
      const result = await runPredict([...args(dir, model), "--out", join(dir, "scores.csv")]);
      assert.equal(result.code, code, result.stderr);
      assert.match(result.stderr, message);
      assert.ok(!(await listDir(dir)).includes("scores.csv"));
    });
  });
}

Deno.test("predict prints its flags with --help", async () => {
  const result = await runPredict(["--help"]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /--model PATH/);
});

const quoting: [string, string][] = [
  ["plain", "plain"],
  ["a,b", '"a,b"'],
  ['say "hi"', '"say ""hi"""'],
  ["line\nbreak", '"line\nbreak"'],
  [" padded", '" padded"'],
];
for (const [raw, quoted] of quoting) {
  Deno.test(`csvField() writes ${JSON.stringify(raw)} as ${JSON.stringify(quoted)}`, () => {
    assert.equal(csvField(raw), quoted);
  });
}
