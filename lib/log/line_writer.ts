/**
 * Buffered log lines. A server writing one line per request with `console.log` pays a system
 * call (and a wake-up of whoever reads the pipe) per request, which cost the function about as
 * much CPU as answering the request. {@link LineWriter} gathers the lines and writes them in one
 * call every few milliseconds, or as soon as a buffer's worth has gathered.
 * @module
 */

/** Writes all of `data` or throws. */
export type WriteAll = (data: Uint8Array) => void;

/** Options of {@link LineWriter}. */
export interface LineWriterOptions {
  /** Longest a line waits before it is written, in ms (default 20). */
  readonly flushMs?: number;
  /** Write at once when this many characters are waiting (default 64 KiB). */
  readonly maxChars?: number;
}

/** Writes every byte of `data` to a synchronous writer, looping over partial writes. */
export function writeAllSync(w: { writeSync(p: Uint8Array): number }, data: Uint8Array): void {
  let at = 0;
  while (at < data.length) at += w.writeSync(data.subarray(at));
}

const ENCODER = new TextEncoder();

/**
 * `text` as UTF-8. Log lines are nearly always ASCII, one byte a character: `encodeInto` a buffer
 * of that size costs ~0.2 µs a line where `encode` costs ~0.55 (Deno 2.9.6); text that does not
 * fit is encoded again in full.
 */
function encodeText(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  const { read, written } = ENCODER.encodeInto(text, out);
  return read === text.length && written === out.length ? out : ENCODER.encode(text);
}

/**
 * Lines written in batches, in the order given.
 *
 * @example
 * ```ts
 * import { LineWriter, writeAllSync } from "./line_writer.ts";
 * const out = new LineWriter((b) => writeAllSync(Deno.stdout, b));
 * out.line(JSON.stringify({ msg: "request" }));
 * out.flush(); // before the process exits
 * ```
 */
export class LineWriter {
  readonly #write: WriteAll;
  readonly #flushMs: number;
  readonly #maxChars: number;
  #lines: string[] = [];
  #chars = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(write: WriteAll, options: LineWriterOptions = {}) {
    this.#write = write;
    this.#flushMs = options.flushMs ?? 20;
    this.#maxChars = options.maxChars ?? 64 * 1024;
  }

  /** Queues one line (without its newline). */
  line(text: string): void {
    this.#lines.push(text);
    this.#chars += text.length + 1;
    if (this.#chars >= this.#maxChars) {
      this.flush();
    } else if (this.#timer === undefined) {
      const timer = setTimeout(() => this.flush(), this.#flushMs);
      // A pending flush never keeps the process alive; whoever ends it calls flush() first.
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
  }

  /** Writes every queued line now. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#lines.length === 0) return;
    const text = this.#lines.join("\n") + "\n";
    this.#lines = [];
    this.#chars = 0;
    this.#write(encodeText(text));
  }
}
