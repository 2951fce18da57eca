/**
 * A file read through one buffer that keeps the unread tail when reading on: what the CSV
 * readers cut into records and chunks.
 * @module
 */
import { DataError } from "../errors.ts";

/** A file read into one buffer, keeping the unread tail when reading on. */
export class ChunkedInput {
  buf: Uint8Array;
  end = 0;
  final = false;
  /** File offset of `buf[0]`. */
  consumed = 0;
  /**
   * File offset reading stops at (a byte range's end): the bytes before it are read, and
   * `final` stays false, since the file goes on.
   */
  limit = Infinity;

  /** `name` names the file in errors. */
  constructor(readonly file: Deno.FsFile, size: number, readonly name: string) {
    this.buf = new Uint8Array(size);
  }

  /** Reads until the buffer is full or the file ends. */
  fill(): void {
    for (;;) {
      const stop = Math.min(this.buf.length, this.limit - this.consumed);
      if (this.end >= stop) return;
      // Synchronous: a local file's read is short, and skipping the hop to the I/O thread
      // keeps a loaded machine from leaving this thread idle between reads.
      let n: number | null;
      try {
        n = this.file.readSync(this.buf.subarray(this.end, stop));
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new DataError(`cannot read ${this.name}: ${why}`, { cause: err });
      }
      if (n === null) {
        this.final = true;
        return;
      }
      this.end += n;
    }
  }

  /** Whether every byte before {@linkcode limit} has been read into the buffer. */
  get atLimit(): boolean {
    return this.consumed + this.end >= this.limit;
  }

  /** Reads on from file offset `offset`, with an empty buffer and no limit. */
  restart(offset: number): void {
    try {
      this.file.seekSync(offset, Deno.SeekMode.Start);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new DataError(`cannot read ${this.name}: ${why}`, { cause: err });
    }
    this.consumed = offset;
    this.end = 0;
    this.final = false;
    this.limit = Infinity;
    this.fill();
  }

  /**
   * Drops the bytes before `pos` (growing the buffer when nothing can be dropped and it is
   * full), reads on, and returns where `pos` is now.
   */
  more(pos: number): number {
    if (pos === 0 && this.end === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    } else {
      this.buf.copyWithin(0, pos, this.end);
      this.end -= pos;
      this.consumed += pos;
    }
    this.fill();
    return 0;
  }
}
