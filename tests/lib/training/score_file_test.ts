import assert from "node:assert/strict";
import { join } from "node:path";
import { readFeatureTable } from "../../../lib/data/csv.ts";
import { DataError, StoreError } from "../../../lib/errors.ts";
import { loadModel } from "../../../lib/model/artifact.ts";
import { scoresCsv, scoreTable } from "../../../lib/training/batch_score.ts";
import { scoreFile } from "../../../lib/training/score_file.ts";
import { main as train } from "../../../trainer/main.ts";
import { easyData, listDir, withTempDir } from "../../support/fixtures.ts";

const CLASSES = ["yes", "no, maybe"];

/** Trains a 20-tree model on easy data with a label that needs quoting; returns model.json. */
async function trainModel(dir: string): Promise<string> {
  const ds = easyData(2, 400, 11);
  const lines = [[...ds.featureNames, "label"].join(",")];
  for (let i = 0; i < ds.nRows; i++) {
    const row = Array.from(ds.x.subarray(i * ds.nFeatures, (i + 1) * ds.nFeatures), String);
    lines.push([...row, `"${CLASSES[ds.y[i]!]}"`].join(","));
  }
  await Deno.writeTextFile(join(dir, "train.csv"), lines.join("\n") + "\n");
  const out = join(dir, "model");
  const code = await train([
    "--data",
    join(dir, "train.csv"),
    "--target",
    "label",
    "--trees",
    "20",
    "--out",
    out,
    "--workers",
    "0",
  ]);
  assert.equal(code, 0);
  return join(out, "model.json");
}

/**
 * Rows to score, in every form the reader takes: plain, quoted numbers, spaces, CRLF and CR line
 * ends, blank lines, the target column (quoted) in the middle, columns in another order.
 */
function scoringCsv(rows: number): string {
  const ds = easyData(2, rows, 5);
  const p = ds.nFeatures;
  const names = ds.featureNames.toReversed();
  let text = "\ufeff" + [names[0], "label", ...names.slice(1)].join(",") + "\n";
  for (let i = 0; i < rows; i++) {
    const cells = names.map((_, j) => String(ds.x[i * p + (p - 1 - j)]));
    if (i % 97 === 0) cells[1] = `"${cells[1]}"`;
    if (i % 89 === 0) cells[2] = ` ${cells[2]} `;
    const label = i % 5 === 0 ? `"${CLASSES[ds.y[i]!]}"` : ds.y[i] ? '"no, maybe"' : "yes";
    const end = i % 7 === 0 ? "\r\n" : i % 11 === 0 ? "\r" : "\n";
    text += [cells[0], label, ...cells.slice(1)].join(",") + end;
    if (i % 1000 === 0) text += "\n";
  }
  return text;
}

/** Today's output, as scoresCsv() writes it for the whole file read at once. */
async function reference(modelPath: string, data: string) {
  const model = await loadModel(modelPath);
  const table = await readFeatureTable(data, {
    features: model.featureNames,
    target: model.artifact.target,
  });
  const scores = scoreTable(model, table);
  return { text: [...scoresCsv(scores, model.artifact.classes)].join(""), scores };
}

Deno.test("scoreFile() writes the same bytes as the whole-file scorer for 0, 1, 2 and 3 workers", async () => {
  await withTempDir(async (dir) => {
    const modelPath = await trainModel(dir);
    const model = await loadModel(modelPath);
    const data = join(dir, "rows.csv");
    await Deno.writeTextFile(data, scoringCsv(12_000));
    const expected = await reference(modelPath, data);
    assert.ok(expected.text.startsWith('prediction,"p_no, maybe",p_yes\n'));
    for (const workers of [0, 1, 2, 3]) {
      const out = join(dir, `scores_${workers}.csv`);
      const result = await scoreFile({ model, data, out, workers, chunkBytes: 32 << 10 });
      assert.equal(result.rows, 12_000);
      assert.equal(result.workers, workers);
      assert.equal(result.accuracy, expected.scores.accuracy);
      assert.equal(await Deno.readTextFile(out), expected.text, `${workers} workers`);
    }
  });
});

Deno.test("scoreFile() reports the first bad cell of a later chunk by line and column, and writes nothing", async () => {
  await withTempDir(async (dir) => {
    const model = await loadModel(await trainModel(dir));
    const data = join(dir, "rows.csv");
    const lines = scoringCsv(6_000).split("\n");
    // Two bad cells in different chunks: the first in the file is the one reported.
    lines[4_000] = lines[4_000]!.replace(/^[^,]+/, "abc");
    lines[5_000] = lines[5_000]!.replace(/,[^,]+$/, ",");
    await Deno.writeTextFile(data, lines.join("\n"));
    let expected = "";
    try {
      await readFeatureTable(data, { features: model.featureNames, target: "label" });
    } catch (err) {
      expected = (err as Error).message;
    }
    assert.match(expected, /:\d+: column "f\d" \(1\): expected a number, got "abc"$/);
    for (const workers of [0, 2, 3]) {
      const out = join(dir, "scores.csv");
      await assert.rejects(
        scoreFile({ model, data, out, workers, chunkBytes: 16 << 10 }),
        (err: unknown) => err instanceof DataError && err.message === expected,
      );
      assert.deepEqual((await listDir(dir)).filter((f) => f.includes("scores")), []);
      assert.deepEqual((await listDir(dir)).filter((f) => f.endsWith(".tmp")), []);
    }
  });
});

/** [what, csv text, message after the file name] */
const BAD_FILES: [string, string, string][] = [
  ["an empty file", "", ": empty file, expected a header row"],
  ["a header only", "f0,f1,f2,f3,f4,f5\n", ": no data rows after the header"],
  [
    "a missing column",
    "f1,f2,f3,f4,f5\n1,2,3,4,5\n",
    ": columns do not match the model: missing [f0]",
  ],
  [
    "an unclosed quote",
    'f0,f1,f2,f3,f4,f5\n1,2,3,4,5,"6\n',
    ':2: column "f5" (6): malformed CSV: a quoted field is not closed by the end of the file',
  ],
  [
    "a ragged row",
    "f0,f1,f2,f3,f4,f5\n1,2,3,4,5,6\n1,2\n",
    ":3: expected 6 fields (as in the header), got 2",
  ],
];
for (const [what, text, message] of BAD_FILES) {
  Deno.test(`scoreFile() rejects ${what} as readFeatureTable() does`, async () => {
    await withTempDir(async (dir) => {
      const model = await loadModel(await trainModel(dir));
      const data = join(dir, "rows.csv");
      await Deno.writeTextFile(data, text);
      const out = join(dir, "scores.csv");
      await assert.rejects(
        scoreFile({ model, data, out, workers: 0 }),
        (err: unknown) => err instanceof DataError && err.message === `${data}${message}`,
      );
      await assert.rejects(
        readFeatureTable(data, { features: model.featureNames, target: "label" }),
        (err: unknown) => err instanceof DataError && err.message === `${data}${message}`,
      );
      assert.ok(!(await listDir(dir)).includes("scores.csv"));
    });
  });
}

Deno.test("scoreFile() reports an output it cannot write as a store error", async () => {
  await withTempDir(async (dir) => {
    const model = await loadModel(await trainModel(dir));
    const data = join(dir, "rows.csv");
    await Deno.writeTextFile(data, scoringCsv(10));
    const out = join(dir, "rows.csv", "scores.csv"); // under a file
    await assert.rejects(
      scoreFile({ model, data, out, workers: 0 }),
      (err: unknown) =>
        err instanceof StoreError && err.code === "store_error" &&
        err.message.startsWith(`cannot write ${out}: `),
    );
  });
});

Deno.test("scoreFile() scores a UTF-16 file (byte-order mark FF FE) as the whole-file scorer does", async () => {
  await withTempDir(async (dir) => {
    const modelPath = await trainModel(dir);
    const model = await loadModel(modelPath);
    const text = scoringCsv(50).replace(/^\ufeff/, "");
    const units = new Uint16Array(text.length);
    for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
    const bytes = new Uint8Array(2 + units.byteLength);
    bytes.set([0xff, 0xfe]);
    bytes.set(new Uint8Array(units.buffer), 2);
    const data = join(dir, "utf16.csv");
    await Deno.writeFile(data, bytes);
    const out = join(dir, "scores.csv");
    const result = await scoreFile({ model, data, out, workers: 2 });
    assert.equal(result.rows, 50);
    assert.equal(await Deno.readTextFile(out), (await reference(modelPath, data)).text);
  });
});
