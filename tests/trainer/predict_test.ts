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
  ["an unknown flag", (_d, m) => ["--model", m, "--fast"], 2, /unknown flag --fast/],
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

/** A CSV of `rows` rows of the TRAIN file's columns, over 4 MiB for 100,000 rows. */
function manyRows(rows: number): string {
  let text = "a,b,label\n";
  for (let i = 0; i < rows; i++) {
    text += `${(i * 0.731) % 9},${(i * 0.377) % 8},${i % 3 ? "cat" : "dog"}\n`;
  }
  return text;
}

Deno.test("predict writes the same bytes with 1, 2 and 3 workers and on the main thread", async () => {
  await withModel(async (dir, model) => {
    const data = join(dir, "many.csv");
    await Deno.writeTextFile(data, manyRows(200_000));
    assert.ok((await Deno.stat(data)).size > 4 << 20);
    const outputs: string[] = [];
    for (const workers of ["0", "1", "2", "3"]) {
      const out = join(dir, `scores_${workers}.csv`);
      const result = await runPredict([
        "--model",
        model,
        "--data",
        data,
        "--out",
        out,
        "--workers",
        workers,
        "--json",
      ]);
      assert.equal(result.code, 0, result.stderr);
      const summary = JSON.parse(result.stderr);
      assert.equal(summary.rows, 200_000);
      assert.equal(summary.workers, Number(workers));
      assert.ok(summary.rows_per_second > 0 && summary.seconds > 0);
      assert.ok(summary.accuracy >= 0 && summary.accuracy <= 1);
      outputs.push(await Deno.readTextFile(out));
    }
    assert.equal(outputs[0]!.split("\n").length, 200_002);
    for (const text of outputs) assert.equal(text, outputs[0]);
  });
});

const badRuns: [string, (dir: string, model: string) => string[], number, RegExp][] = [
  [
    "a bad --workers",
    (d, m) => ["--model", m, "--data", join(d, "x.csv"), "--workers", "two"],
    2,
    /^error: --workers must be an integer from 0 to 256, got two$/m,
  ],
  [
    "a missing data file",
    (d, m) => ["--model", m, "--data", join(d, "none.csv")],
    1,
    /cannot read .*none\.csv: not found/,
  ],
  [
    "a folder as --data",
    (d, m) => ["--model", m, "--data", d],
    1,
    /^error: cannot read .*: /,
  ],
  [
    "a bad cell",
    (d, m) => ["--model", m, "--data", join(d, "bad.csv")],
    1,
    /bad\.csv:3: column "b" \(2\): expected a number, got "x"/,
  ],
];
for (const [what, args, code, message] of badRuns) {
  Deno.test(`predict exits ${code} on ${what}, naming it, and writes nothing`, async () => {
    await withModel(async (dir, model) => {
      await Deno.writeTextFile(join(dir, "x.csv"), "a,b\n1,2\n");
      await Deno.writeTextFile(join(dir, "bad.csv"), "a,b\n1,2\n3,x\n");
      const result = await runPredict([...args(dir, model), "--out", join(dir, "scores.csv")]);
      assert.equal(result.code, code, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split("\n").length, 1);
      assert.ok(!(await listDir(dir)).some((f) => f.includes("scores") || f.endsWith(".tmp")));
    });
  });
}

Deno.test("predict exits 4 when it cannot write --out", async () => {
  await withModel(async (dir, model) => {
    await Deno.writeTextFile(join(dir, "x.csv"), "a,b\n1,2\n");
    const out = join(dir, "x.csv", "scores.csv");
    const result = await runPredict(["--model", model, "--data", join(dir, "x.csv"), "--out", out]);
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stderr, /^error: cannot write .*scores\.csv: /);
  });
});
