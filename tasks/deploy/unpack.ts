/**
 * Unpacks a function package zip into a folder the way run-from-package presents it: every file
 * at its path, with the Unix mode the zip recorded (so `bin/deno` stays executable).
 * @module
 */
import { unzipSync } from "fflate";
import { dirname, join, normalize, sep } from "node:path";
import { InvalidInput } from "../../lib/errors.ts";

/** The Unix modes a zip's central directory records, by entry name (Unix-made entries only). */
export function zipModes(zip: Uint8Array): Map<string, number> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new InvalidInput("package: not a zip file (no end of central directory)");
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  const modes = new Map<string, number>();
  const dec = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (at + 46 > zip.length || view.getUint32(at, true) !== 0x02014b50) {
      throw new InvalidInput(`package: central directory entry ${i} is damaged`);
    }
    const madeBy = view.getUint16(at + 4, true) >> 8;
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const mode = (view.getUint32(at + 38, true) >>> 16) & 0o7777;
    const name = dec.decode(zip.subarray(at + 46, at + 46 + nameLength));
    if (madeBy === 3 && mode !== 0) modes.set(name, mode);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return modes;
}

/**
 * Writes every file of `zip` under `dir` (which must exist), with its recorded mode.
 * @throws {InvalidInput} for an entry whose path would leave `dir`.
 * @returns the number of files written.
 */
export async function unpackZip(zip: Uint8Array, dir: string): Promise<number> {
  const modes = zipModes(zip);
  const files = unzipSync(zip);
  let n = 0;
  for (const [name, bytes] of Object.entries(files)) {
    if (name.endsWith("/")) continue;
    const rel = normalize(name);
    if (rel.startsWith("..") || rel.startsWith(sep) || rel.includes(`${sep}..${sep}`)) {
      throw new InvalidInput(`package: entry ${JSON.stringify(name)} leaves the package folder`);
    }
    const path = join(dir, rel);
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeFile(path, bytes, { mode: modes.get(name) ?? 0o644 });
    await Deno.chmod(path, modes.get(name) ?? 0o644);
    n++;
  }
  return n;
}
