/**
 * Zips a folder with Unix permissions kept, so that `bin/deno` is still executable once Azure
 * (or `unzip`) unpacks the package. Each entry's "version made by" names Unix and its external
 * attributes carry the file mode in the high 16 bits, as Info-ZIP writes them.
 * @module
 */
import { type Zippable, zipSync } from "fflate";
import { join, relative, sep } from "node:path";

/** "Version made by" host system: Unix (PKWARE APPNOTE 4.4.2.2). */
const UNIX = 3;
/** File type bits of a regular file (`S_IFREG`). */
const S_IFREG = 0o100000;

/** Summary of a written zip. */
export interface ZipSummary {
  readonly entries: number;
  /** Total size of the files before compression. */
  readonly bytesIn: number;
  readonly bytesOut: number;
}

async function* walk(dir: string): AsyncGenerator<string> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isSymlink) throw new Error(`${join(dir, e.name)}: symbolic links are not packaged`);
    names.push(e.name);
  }
  names.sort();
  for (const name of names) {
    const path = join(dir, name);
    if ((await Deno.stat(path)).isDirectory) yield* walk(path);
    else yield path;
  }
}

/** A deflate level: 0 stores, 9 compresses most. */
export type DeflateLevel = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

/** Writes every file under `dir` into the zip file `out`, paths relative to `dir`, sorted. */
export async function zipFolder(
  dir: string,
  out: string,
  level: DeflateLevel = 6,
): Promise<ZipSummary> {
  const files: Zippable = {};
  let entries = 0;
  let bytesIn = 0;
  for await (const path of walk(dir)) {
    const info = await Deno.stat(path);
    const mode = (info.mode ?? 0o644) & 0o7777;
    const data = await Deno.readFile(path);
    const name = relative(dir, path).split(sep).join("/");
    files[name] = [data, {
      level,
      os: UNIX,
      attrs: ((S_IFREG | mode) << 16) >>> 0,
      mtime: info.mtime ?? new Date(),
    }];
    entries++;
    bytesIn += data.length;
  }
  const zip = zipSync(files);
  await Deno.writeFile(out, zip);
  return { entries, bytesIn, bytesOut: zip.length };
}
