/**
 * Batch scoring of one chunk of a CSV file: whole records in, CSV score lines out. A chunk is
 * read with the byte-level reader, scored with the forest and formatted on its own, so chunks
 * can go to any thread in any grouping and the output, joined in file order, is the same bytes.
 * @module
 */
import { countLineEnds, CsvRecordReader, LabelDictionary, RowBlock } from "../data/csv_bytes.ts";
import type { RowLayout } from "../data/csv_bytes.ts";
import { argmaxRows, predictProba } from "../forest/predict.ts";
import type { Forest } from "../forest/forest.ts";
import { csvField } from "./batch_score.ts";

/** What every chunk of a file is scored with. */
export interface ScoreSetup {
  /** How records become rows (from the file's header and the model's features). */
  readonly layout: RowLayout;
  readonly forest: Forest;
  /** The model's class labels, as text, in the model's order. */
  readonly classes: readonly string[];
  /** Score with compiled trees (see lib/forest/compiled.ts). */
  readonly compile: boolean;
}

/** The scores of one chunk. */
export interface ChunkScores {
  /** Rows scored. */
  readonly rows: number;
  /** Line ends in the chunk. */
  readonly lines: number;
  /** The CSV lines of the scores, UTF-8. */
  readonly out: Uint8Array;
  /** Rows whose target label, as written, is the predicted class's text. */
  readonly hitsAsText: number;
  /** Rows whose target label, read as an integer, is the predicted class. */
  readonly hitsAsInteger: number;
  /** Whether every target label of the chunk is an integer (no labels: true). */
  readonly integerLabels: boolean;
}

const INTEGER = /^[+-]?\d+$/;
const encoder = new TextEncoder();

/** The header line of the scores: `prediction`, then `p_<class>` per class. */
export function scoresHeader(classes: readonly string[]): string {
  return [csvField("prediction"), ...classes.map((c) => csvField(`p_${c}`))].join(",") + "\n";
}

/**
 * Reads, scores and formats the whole records in `bytes`. Lines are `label,p_0,...,p_k-1` with
 * each probability written as `String(p)`, as {@linkcode scoresCsv} writes them.
 * @throws {DataError} for the chunk's first bad record, naming its line counted from the chunk's
 *   first line (line 1): {@linkcode shiftLine} moves it to the file's line.
 */
export function scoreChunk(setup: ScoreSetup, bytes: Uint8Array): ChunkScores {
  const { layout, forest, classes } = setup;
  const hasLabels = layout.columns.includes(-1);
  const reader = new CsvRecordReader(layout.source);
  reader.layout = layout;
  const lines = countLineEnds(bytes, 0, bytes.length);
  const block = new RowBlock(layout.nFeatures, lines + 1, hasLabels);
  const dict = new LabelDictionary();
  reader.readRows(bytes, bytes.length, true, block, dict);
  const rows = block.rows;
  const k = forest.nClasses;
  const proba = predictProba(forest, block.values(), rows, { compile: setup.compile });
  const predicted = argmaxRows(proba, k);
  const labels = classes.map(csvField);
  let text = "";
  for (let r = 0, o = 0; r < rows; r++, o += k) {
    let line = labels[predicted[r]!]!;
    for (let c = 0; c < k; c++) line += "," + proba[o + c]!;
    text += line + "\n";
  }
  let hitsAsText = 0;
  let hitsAsInteger = 0;
  let integerLabels = true;
  if (hasLabels) {
    const names = dict.names;
    const asInteger = names.map((s) =>
      INTEGER.test(s) && Number.isSafeInteger(Number(s)) ? String(Number(s)) : undefined
    );
    integerLabels = asInteger.every((s) => s !== undefined);
    const ids = block.labels;
    for (let r = 0; r < rows; r++) {
      const id = ids[r]!;
      const want = classes[predicted[r]!];
      if (names[id] === want) hitsAsText++;
      if (asInteger[id] === want) hitsAsInteger++;
    }
  }
  return { rows, lines, out: encoder.encode(text), hitsAsText, hitsAsInteger, integerLabels };
}
