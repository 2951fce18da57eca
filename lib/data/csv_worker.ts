/**
 * A Web Worker that reads one byte range of a CSV file into rows: it receives the layout and the
 * range, opens the file itself, and answers with the range's values and label ids (transferred,
 * not copied), its labels' texts and where its reader stopped, or the range's first error.
 * Started by the parallel path of csv.ts's readers.
 * @module
 */
import { ChunkedInput } from "./chunked_input.ts";
import {
  CsvRecordReader,
  LabelDictionary,
  readInput,
  RowBlock,
  type RowLayout,
} from "./csv_bytes.ts";
import { adoptKernelModule } from "./wasm_numbers.ts";

/** Bytes read from the file at a time. */
const READ_BYTES = 1 << 20;

/** Messages to a CSV worker. */
export type ToCsvWorker = {
  readonly kind: "range";
  readonly seq: number;
  readonly layout: RowLayout;
  readonly path: string;
  /** File offset of the range's first byte: a line's start. */
  readonly start: number;
  /** File offset the range ends at (the next range's start), or -1 for the file's end. */
  readonly end: number;
  /** The calling thread's compiled number kernel, to share its code. */
  readonly kernel: WebAssembly.Module | undefined;
  /**
   * Where the range's values go: `rows` rows from value `offset` of `buffer`, which the calling
   * thread reads the file's values from (so they are not copied). Rows past them go to a
   * buffer of the worker's own, sent back instead.
   */
  readonly shared: {
    readonly buffer: SharedArrayBuffer;
    readonly offset: number;
    readonly rows: number;
  };
};

/** Messages from a CSV worker. */
export type FromCsvWorker =
  | {
    readonly kind: "rows";
    readonly seq: number;
    readonly rows: number;
    /** Line ends read. */
    readonly lines: number;
    /** The values, or nothing when they are where `shared` said. */
    readonly x: Float64Array | undefined;
    readonly labels: Int32Array;
    readonly names: string[];
    /** File offset the reader stopped at: the range's end unless a record goes on past it. */
    readonly stop: number;
  }
  | {
    readonly kind: "error";
    readonly seq: number;
    readonly name: string;
    readonly code: string | undefined;
    /** The message; a row error names its line counted from the range's first (line 1). */
    readonly message: string;
  };

/** The parts of a worker's global scope used here (this module is type-checked as window code). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<ToCsvWorker>) => void) | null;
  postMessage(message: FromCsvWorker, transfer?: Transferable[]): void;
  close(): void;
}

const scope = globalThis as unknown as WorkerScope;

scope.onmessage = ({ data: message }) => {
  const { seq, layout, path, start, end, kernel, shared } = message;
  try {
    if (kernel !== undefined) adoptKernelModule(kernel);
    const file = Deno.openSync(path, { read: true });
    try {
      file.seekSync(start, Deno.SeekMode.Start);
      const input = new ChunkedInput(file, READ_BYTES, path);
      input.consumed = start;
      if (end >= 0) input.limit = end;
      input.fill();
      const reader = new CsvRecordReader(layout.source);
      reader.layout = layout;
      const p = layout.nFeatures;
      const block = new RowBlock(p, shared.rows, layout.columns.includes(-1));
      const values = new Float64Array(shared.buffer, shared.offset * 8, shared.rows * p);
      block.useValues(values);
      const dict = new LabelDictionary();
      const stop = readInput(input, reader, block, dict);
      const x = block.x.buffer === shared.buffer ? undefined : block.values();
      const labels = block.labels;
      scope.postMessage(
        {
          kind: "rows",
          seq,
          rows: block.rows,
          lines: reader.line - 1,
          x,
          labels,
          names: dict.names,
          stop,
        },
        x === undefined
          ? [labels.buffer as ArrayBuffer]
          : [x.buffer as ArrayBuffer, labels.buffer as ArrayBuffer],
      );
    } finally {
      file.close();
    }
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
  // One range a worker: it ends itself (the calling thread terminates only one still reading).
  scope.close();
};
