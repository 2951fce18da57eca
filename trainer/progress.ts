/**
 * A one-line progress bar on stderr, for terminals only.
 * @module
 */

/** A progress bar to update after each unit of work. */
export interface ProgressBar {
  update(done: number, total: number): void;
  done(): void;
}

/** Draws `label [#####-----] done/total elapsed` on stderr, redrawing at most every 50 ms. */
export function progressBar(label: string, width = 30): ProgressBar {
  const encoder = new TextEncoder();
  const started = performance.now();
  let last = 0;
  const write = (s: string) => Deno.stderr.writeSync(encoder.encode(s));
  return {
    update(done, total) {
      const now = performance.now();
      if (done < total && now - last < 50) return;
      last = now;
      const filled = Math.round((done / total) * width);
      const secs = ((now - started) / 1000).toFixed(1);
      write(
        `\r${label} [${"#".repeat(filled)}${
          "-".repeat(width - filled)
        }] ${done}/${total} trees ${secs}s`,
      );
    },
    done() {
      write("\r\x1b[2K");
    },
  };
}
