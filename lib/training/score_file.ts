/**
 * Streaming batch scoring of a CSV file: the file is read in chunks cut at record boundaries,
 * each chunk is read, scored and formatted by a Web Worker (or the calling thread), and the
 * score lines are written in file order as they come. Memory holds a few chunks per worker, not
 * the file; the output is the same bytes for any number of workers.
 * @module
 */
import { dirname, join } from "node:path";
import { emptyError, featureTableLayout, readFeatureTable } from "../data/csv.ts";
import { ChunkedInput } from "../data/chunked_input.ts";
import { CsvRecordReader, lastRecordEnd, shiftLine } from "../data/csv_bytes.ts";
import { DataError, describeError, InvalidInput, StoreError, WorkerFailed } from "../errors.ts";
import type { LoadedModel } from "../model/artifact.ts";
import { scoresCsv, scoreTable } from "./batch_score.ts";
import { type ChunkScores, scoreChunk, type ScoreSetup, scoresHeader } from "./score_chunk.ts";
import type { FromScoreWorker, ToScoreWorker } from "./score_worker.ts";

/** Options of {@linkcode scoreFile}. */
export interface ScoreFileOptions {
  readonly model: LoadedModel;
  /** The CSV file to score. */
  readonly data: string;
  /** Where to write the scores (atomically); standard output when not given. */
  readonly out?: string | undefined;
  /** Web Workers to score on; 0 scores on the calling thread. Default: the CPUs. */
  readonly workers?: number | undefined;
  /** Score with compiled trees. Default false. */
  readonly compile?: boolean;
  /** Bytes per chunk. Files no larger than one chunk are scored on the calling thread. */
  readonly chunkBytes?: number;
  /** Called after each chunk is written. */
  readonly onProgress?: ((bytesDone: number, bytesTotal: number, rows: number) => void) | undefined;
}

/** What {@linkcode scoreFile} did. */
export interface ScoreFileResult {
  readonly rows: number;
  /** Accuracy against the file's target column, or null without one. */
  readonly accuracy: number | null;
  /** Workers the rows were scored on (0: the calling thread). */
  readonly workers: number;
  /** Size of the input file in bytes. */
  readonly bytes: number;
}

/** Default bytes per chunk: large enough to amortise a message, small enough to stream. */
export const CHUNK_BYTES = 4 << 20;

/**
 * Scores every row of the CSV file `data` with `model`, writing `prediction` and `p_<class>`
 * columns (as {@linkcode scoresCsv}) to `out`.
 *
 * @throws {DataError} for the file's first problem (missing columns, a bad cell, ...), naming
 *   its line and column; nothing is left at `out`.
 * @throws {StoreError} when `out` cannot be written (read-only, full, permission denied).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { parseModel, serializeModel } from "../model/artifact.ts";
 * import { scoreFile } from "./score_file.ts";
 * import { trainModel } from "./train_model.ts";
 * const { artifact } = await trainModel({ params: { n_estimators: 10 }, workers: 0 });
 * const model = parseModel(serializeModel(artifact)); // or: await loadModel("model.json")
 * const dir = await Deno.makeTempDir();
 * const row = model.featureNames.map(() => "0.5").join(",");
 * await Deno.writeTextFile(join(dir, "rows.csv"), `${model.featureNames.join(",")}\n${row}\n`);
 * const data = join(dir, "rows.csv");
 * const { rows } = await scoreFile({ model, data, out: join(dir, "scores.csv"), workers: 2 });
 * assert.equal(rows, 1);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function scoreFile(options: ScoreFileOptions): Promise<ScoreFileResult> {
  const { model, data, out, compile = false, chunkBytes = CHUNK_BYTES } = options;
  const workers = options.workers ?? navigator.hardwareConcurrency ?? 1;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(data, { read: true });
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "not found" : describeError(err);
    throw new DataError(`cannot read ${data}: ${why}`, { cause: err });
  }
  try {
    const size = (await file.stat()).size;
    const input = new ChunkedInput(file, chunkBytes, data);
    input.fill();
    if (input.buf[0] === 0xff && input.buf[1] === 0xfe && input.end >= 2) {
      // UTF-16LE: read whole by the csv-parse path, which decodes it.
      return await scoreUtf16(options, size);
    }
    const reader = new CsvRecordReader(data);
    if (input.buf[0] === 0xef && input.buf[1] === 0xbb && input.buf[2] === 0xbf) reader.pos = 3;
    let names = reader.readHeader(input.buf, input.end, input.final);
    while (names === undefined) {
      reader.pos = input.more(reader.pos);
      names = reader.readHeader(input.buf, input.end, input.final);
    }
    if (names === null) throw emptyError(data, undefined);
    const layout = featureTableLayout(
      data,
      names,
      reader.recordLine,
      model.featureNames,
      model.artifact.target,
    );
    const classes = model.artifact.classes.map(String);
    const setup: ScoreSetup = { layout, forest: model.forest, classes, compile };
    const inline = workers <= 0 || size <= chunkBytes;
    const sink = await openSink(out);
    const pool = inline ? undefined : new ScorePool(Math.floor(workers), setup);
    try {
      await sink.write(new TextEncoder().encode(scoresHeader(classes)));
      const totals = { rows: 0, hitsAsText: 0, hitsAsInteger: 0, integerLabels: true };
      const queue: Promise<ChunkResult>[] = [];
      const maxQueued = pool ? 2 * pool.size : 1;
      let done = input.consumed + reader.pos;
      let line = reader.line;
      const drainOne = async () => {
        const result = await queue.shift()!;
        if ("error" in result) {
          const { error } = result;
          // A chunk's lines count from its start, which is the file's line `line`.
          if (error instanceof DataError) {
            throw new DataError(shiftLine(error.message, data, line - 1));
          }
          throw error;
        }
        line += result.lines;
        await sink.write(result.out);
        totals.rows += result.rows;
        totals.hitsAsText += result.hitsAsText;
        totals.hitsAsInteger += result.hitsAsInteger;
        totals.integerLabels &&= result.integerLabels;
        done += result.bytes;
        options.onProgress?.(Math.min(done, size), size, totals.rows);
      };
      let pos = reader.pos;
      let seq = 0;
      for (;;) {
        const cut = input.final ? input.end : lastRecordEnd(input.buf, pos, input.end);
        if (cut > pos) {
          const bytes = input.buf.slice(pos, cut);
          pos = cut;
          queue.push(pool ? pool.score(seq++, bytes) : Promise.resolve(scoreHere(setup, bytes)));
          while (queue.length >= maxQueued) await drainOne();
        }
        if (input.final) break;
        pos = input.more(pos);
      }
      while (queue.length > 0) await drainOne();
      if (totals.rows === 0) throw emptyError(data, names);
      await sink.commit();
      const hits = totals.integerLabels ? totals.hitsAsInteger : totals.hitsAsText;
      return {
        rows: totals.rows,
        accuracy: layout.columns.includes(-1) ? hits / totals.rows : null,
        workers: pool ? pool.size : 0,
        bytes: size,
      };
    } catch (err) {
      await sink.abort();
      throw err;
    } finally {
      pool?.close();
    }
  } finally {
    try {
      file.close();
    } catch {
      // Closed already.
    }
  }
}

/** A chunk's scores with its size, or the error it failed with. */
type ChunkResult = (ChunkScores & { readonly bytes: number }) | { readonly error: Error };

function scoreHere(setup: ScoreSetup, bytes: Uint8Array): ChunkResult {
  try {
    return { ...scoreChunk(setup, bytes), bytes: bytes.length };
  } catch (err) {
    return { error: err instanceof Error ? err : new Error(String(err)) };
  }
}

/** Scores a UTF-16 file whole, through readFeatureTable (csv-parse decodes it). */
async function scoreUtf16(options: ScoreFileOptions, size: number): Promise<ScoreFileResult> {
  const { model, data, out, compile = false } = options;
  const table = await readFeatureTable(data, {
    features: model.featureNames,
    target: model.artifact.target,
  });
  const scores = scoreTable(model, table, { compile });
  const sink = await openSink(out);
  try {
    const encoder = new TextEncoder();
    for (const text of scoresCsv(scores, model.artifact.classes)) {
      await sink.write(encoder.encode(text));
    }
    await sink.commit();
  } catch (err) {
    await sink.abort();
    throw err;
  }
  return { rows: table.nRows, accuracy: scores.accuracy, workers: 0, bytes: size };
}

/** Where score lines go: written in order, then kept (commit) or thrown away (abort). */
interface Sink {
  write(bytes: Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

const STORE_REASONS: Partial<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "the file system is read-only",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
};

function outputError(path: string, err: unknown): StoreError {
  const code = (err as { code?: unknown }).code;
  const why = typeof code === "string" && STORE_REASONS[code] ||
    (err instanceof Deno.errors.PermissionDenied ? "permission denied" : describeError(err));
  return new StoreError(`cannot write ${path}: ${why}`, { cause: err });
}

async function writeAll(target: { write(p: Uint8Array): Promise<number> }, bytes: Uint8Array) {
  for (let at = 0; at < bytes.length;) at += await target.write(bytes.subarray(at));
}

async function openSink(path: string | undefined): Promise<Sink> {
  if (path === undefined) {
    return {
      write: (bytes) => writeAll(Deno.stdout, bytes),
      commit: async () => {},
      abort: async () => {},
    };
  }
  const dir = dirname(path);
  const tmp = join(dir, `.${crypto.randomUUID()}.tmp`);
  let file: Deno.FsFile;
  try {
    await Deno.mkdir(dir, { recursive: true });
    file = await Deno.open(tmp, { write: true, createNew: true });
  } catch (err) {
    throw outputError(path, err);
  }
  let open = true;
  const close = () => {
    if (open) file.close();
    open = false;
  };
  return {
    async write(bytes) {
      try {
        await writeAll(file, bytes);
      } catch (err) {
        throw outputError(path, err);
      }
    },
    async commit() {
      try {
        close();
        await Deno.rename(tmp, path);
      } catch (err) {
        await Deno.remove(tmp).catch(() => {});
        throw outputError(path, err);
      }
    },
    async abort() {
      close();
      await Deno.remove(tmp).catch(() => {});
    },
  };
}

/** Scoring workers, each answering its chunks in the order sent. */
class ScorePool {
  readonly #workers: Worker[] = [];
  /** Per worker, the chunks sent and not answered: seq -> resolve. */
  readonly #pending: Map<number, (result: ChunkResult) => void>[] = [];
  readonly #sizes = new Map<number, number>();

  constructor(readonly size: number, setup: ScoreSetup) {
    const url = new URL("./score_worker.ts", import.meta.url);
    for (let w = 0; w < size; w++) {
      let worker: Worker;
      try {
        worker = new Worker(url, { type: "module", name: `fluxops-score-${w}` });
      } catch (err) {
        this.close();
        throw new WorkerFailed(`cannot start scoring worker ${w}: ${describeError(err)}`, {
          cause: err,
        });
      }
      const pending = new Map<number, (result: ChunkResult) => void>();
      this.#workers.push(worker);
      this.#pending.push(pending);
      worker.onmessage = ({ data: message }: MessageEvent<FromScoreWorker>) => {
        const resolve = pending.get(message.seq);
        if (!resolve) return;
        pending.delete(message.seq);
        const bytes = this.#sizes.get(message.seq) ?? 0;
        this.#sizes.delete(message.seq);
        if (message.kind === "error") {
          resolve({ error: workerError(message) });
          return;
        }
        const { rows, lines, out, hitsAsText, hitsAsInteger, integerLabels } = message;
        resolve({ rows, lines, out, hitsAsText, hitsAsInteger, integerLabels, bytes });
      };
      const failAll = (why: string) => {
        const error = new WorkerFailed(`scoring worker ${w} failed: ${why}`);
        for (const resolve of pending.values()) resolve({ error });
        pending.clear();
      };
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        failAll(event.message);
      };
      worker.onmessageerror = () => failAll("it sent a message that could not be read");
      const message: ToScoreWorker = { kind: "setup", setup };
      worker.postMessage(message);
    }
  }

  /** Scores a chunk on the least busy worker; never rejects. */
  score(seq: number, bytes: Uint8Array): Promise<ChunkResult> {
    let best = 0;
    for (let w = 1; w < this.#workers.length; w++) {
      if (this.#pending[w]!.size < this.#pending[best]!.size) best = w;
    }
    this.#sizes.set(seq, bytes.length);
    return new Promise((resolve) => {
      this.#pending[best]!.set(seq, resolve);
      const message: ToScoreWorker = { kind: "chunk", seq, bytes };
      this.#workers[best]!.postMessage(message, [bytes.buffer as ArrayBuffer]);
    });
  }

  close(): void {
    for (const worker of this.#workers) worker.terminate();
  }
}

function workerError(message: { name: string; code: string | undefined; message: string }) {
  if (message.code === "data_error") return new DataError(message.message);
  if (message.code === "invalid_input") return new InvalidInput(message.message);
  return new WorkerFailed(`scoring worker failed: ${message.name}: ${message.message}`);
}
