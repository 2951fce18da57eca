/**
 * Reads a CSV file with readDataset() in a fresh process and prints, as JSON, the peak resident
 * memory (VmHWM) and the resident memory before reading, in bytes, with the dataset's size.
 * Run: deno run --allow-all tests/support/read_csv_memory.ts FILE.csv (Deno asks for all
 * permissions to read /proc/self/status).
 * @module
 */
import { readDataset } from "../../lib/data/csv.ts";

function statusBytes(field: string): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const kib = status.match(new RegExp(`${field}:\\s+(\\d+) kB`))?.[1];
  if (kib === undefined) throw new Error(`/proc/self/status has no ${field}`);
  return Number(kib) * 1024;
}

const before = statusBytes("VmRSS");
const workers = Deno.args[1] === undefined ? undefined : Number(Deno.args[1]);
const ds = await readDataset(Deno.args[0]!, workers === undefined ? {} : { workers });
console.log(JSON.stringify({
  before,
  peak: statusBytes("VmHWM"),
  rows: ds.nRows,
  features: ds.nFeatures,
  xBytes: ds.x.byteLength,
  xBufferBytes: ds.x.buffer.byteLength,
}));
