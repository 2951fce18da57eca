/**
 * A Web Worker that scores chunks of a CSV file: it receives the scoring setup once, then
 * chunks of whole records, and answers each with its score lines (transferred, not copied) or
 * the chunk's first error. Started by {@linkcode scoreFile} in score_file.ts.
 * @module
 */
import { scoreChunk, type ScoreSetup } from "./score_chunk.ts";

/** Messages to a scoring worker. */
export type ToScoreWorker =
  | { readonly kind: "setup"; readonly setup: ScoreSetup }
  | {
    readonly kind: "chunk";
    readonly seq: number;
    readonly bytes: Uint8Array;
  };

/** Messages from a scoring worker. */
export type FromScoreWorker =
  | {
    readonly kind: "scores";
    readonly seq: number;
    readonly rows: number;
    readonly lines: number;
    readonly out: Uint8Array;
    readonly hitsAsText: number;
    readonly hitsAsInteger: number;
    readonly integerLabels: boolean;
  }
  | {
    readonly kind: "error";
    readonly seq: number;
    readonly name: string;
    readonly code: string | undefined;
    readonly message: string;
  };

/** The parts of a worker's global scope used here (this module is type-checked as window code). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<ToScoreWorker>) => void) | null;
  postMessage(message: FromScoreWorker, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let setup: ScoreSetup | undefined;

scope.onmessage = ({ data: message }) => {
  if (message.kind === "setup") {
    setup = message.setup;
    return;
  }
  const { seq } = message;
  try {
    if (setup === undefined) throw new Error("chunk sent before the setup");
    const scores = scoreChunk(setup, message.bytes);
    scope.postMessage({ kind: "scores", seq, ...scores }, [scores.out.buffer as ArrayBuffer]);
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
