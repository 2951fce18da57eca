/**
 * A Web Worker that reads chunks of a CSV file into rows: it receives the layout once, then
 * chunks of whole records, and answers each with the chunk's values and label ids (transferred,
 * not copied) and its labels' texts, or the chunk's first error. Started by the parallel path of
 * csv.ts's readers.
 * @module
 */
import { CsvRecordReader, LabelDictionary, RowBlock, type RowLayout } from "./csv_bytes.ts";

/** Messages to a CSV worker. */
export type ToCsvWorker =
  | { readonly kind: "layout"; readonly layout: RowLayout }
  | {
    readonly kind: "chunk";
    readonly seq: number;
    readonly bytes: Uint8Array;
  };

/** Messages from a CSV worker. */
export type FromCsvWorker =
  | {
    readonly kind: "rows";
    readonly seq: number;
    readonly rows: number;
    /** Line ends in the chunk. */
    readonly lines: number;
    readonly x: Float64Array;
    readonly labels: Int32Array;
    readonly names: string[];
  }
  | {
    readonly kind: "error";
    readonly seq: number;
    readonly name: string;
    readonly code: string | undefined;
    /** The message; a row error names its line counted from the chunk's first (line 1). */
    readonly message: string;
  };

/** The parts of a worker's global scope used here (this module is type-checked as window code). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<ToCsvWorker>) => void) | null;
  postMessage(message: FromCsvWorker, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let layout: RowLayout | undefined;

scope.onmessage = ({ data: message }) => {
  if (message.kind === "layout") {
    layout = message.layout;
    return;
  }
  const { seq, bytes } = message;
  try {
    if (layout === undefined) throw new Error("chunk sent before the layout");
    const reader = new CsvRecordReader(layout.source);
    reader.layout = layout;
    // Lines are counted from the chunk's start: the main thread knows the file's line once the
    // chunks before this one are read, and moves an error's line then. The rows are guessed from
    // the first line's length (no counting pass); the block doubles if that was too few.
    const firstEnd = bytes.indexOf(0x0a);
    const perRow = firstEnd > 0 ? firstEnd + 1 : bytes.length;
    const guess = Math.ceil((bytes.length / perRow) * 1.25) + 16;
    const block = new RowBlock(layout.nFeatures, guess, layout.columns.includes(-1));
    const dict = new LabelDictionary();
    reader.readRows(bytes, bytes.length, true, block, dict);
    // A chunk ends just past a record's line end, so the lines read are the chunk's line ends.
    const lines = reader.line - 1;
    const { x, labels, rows } = block;
    scope.postMessage(
      { kind: "rows", seq, rows, lines, x, labels, names: dict.names },
      [x.buffer as ArrayBuffer, labels.buffer as ArrayBuffer],
    );
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const code = (e as { code?: unknown }).code;
    scope.postMessage({
      kind: "error",
      seq,
      name: e.name,
      code: typeof code === "string" ? code : undefined,
      message: e.message,
    });
  }
};
