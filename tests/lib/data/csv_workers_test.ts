import assert from "node:assert/strict";
import { join } from "node:path";
import { readDataset, readFeatureTable } from "../../../lib/data/csv.ts";
import { DataError } from "../../../lib/errors.ts";
import { withTempDir } from "../../support/fixtures.ts";

/** A CSV over 16 MiB: 3 features and a label, some rows quoted, CRLF and blank lines. */
function bigCsv(rows: number): string {
  const parts = ['"f,0",f1,f2,label\n'];
  for (let r = 0; r < rows; r++) {
    const end = r % 5 === 0 ? "\r\n" : "\n";
    const label = r % 7 === 0 ? '"c, 0"' : `c${r % 3}`;
    parts.push(`${Math.sin(r) * 1e3},"${(r * 0.37).toFixed(3)}",${-r / 7},${label}${end}`);
    if (r % 10_000 === 0) parts.push("\n");
  }
  return parts.join("");
}

Deno.test("readDataset() on 1, 2 and 3 workers gives the calling thread's dataset", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "big.csv");
    await Deno.writeTextFile(path, bigCsv(400_000));
    assert.ok((await Deno.stat(path)).size > 16 << 20);
    const here = await readDataset(path, { workers: 0 });
    assert.equal(here.nRows, 400_000);
    for (const workers of [1, 2, 3]) {
      assert.deepEqual(await readDataset(path, { workers }), here, `${workers} workers`);
    }
    const table = await readFeatureTable(path, {
      features: ["f2", "f,0", "f1"],
      target: "label",
      workers: 2,
    });
    assert.deepEqual(
      table,
      await readFeatureTable(path, { features: ["f2", "f,0", "f1"], target: "label" }),
    );
  });
});

Deno.test("readDataset() on workers reports the file's first bad cell, as the calling thread does", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "big.csv");
    const lines = bigCsv(400_000).split("\n");
    assert.ok(lines.join("\n").length > 16 << 20);
    lines[300_000] = lines[300_000]!.replace(/^[^,]+/, "oops");
    lines[380_000] = "1,2\r";
    await Deno.writeTextFile(path, lines.join("\n"));
    const message = await readDataset(path, { workers: 0 }).then(
      () => "",
      (err: Error) => err.message,
    );
    assert.match(message, /:\d+: column "f,0" \(1\): expected a number, got "oops"$/);
    await assert.rejects(
      readDataset(path, { workers: 2 }),
      (err: unknown) => err instanceof DataError && err.message === message,
    );
  });
});

Deno.test("readDataset() on workers gives the calling thread's dataset when quoted line ends span the cuts", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "quoted.csv");
    // Two quoted labels full of line ends, over 45-55% and 70-80% of the file: the cut at the
    // half (1 and 3 workers) and at three quarters (3 workers) fall inside a quoted field, so the
    // calling thread's range and a worker's do not end on a record's end, and are read on.
    const rows = bigCsv(420_000).split("\n");
    const header = rows.shift()!;
    const unit = rows.join("\n").length / 80;
    const quoted = (tag: string) => {
      const lines = Math.ceil(unit * 10 / 24);
      const note = Array.from({ length: lines }, (_, i) => `${tag} ${i}, "q"`).join("\n");
      return `1,2,3,"${note.replaceAll('"', '""')}"`;
    };
    const part = (from: number, to: number) =>
      rows.slice(Math.floor(rows.length * from / 80), Math.floor(rows.length * to / 80));
    const text = [
      header,
      ...part(0, 45),
      quoted("a"),
      ...part(45, 60),
      quoted("b"),
      ...part(60, 80),
    ].join("\n");
    await Deno.writeTextFile(path, text);
    const here = await readDataset(path, { workers: 0 });
    for (const workers of [1, 2, 3]) {
      assert.deepEqual(await readDataset(path, { workers }), here, `${workers} workers`);
    }
  });
});

Deno.test("readDataset() on workers reports a bad cell in the calling thread's range, as the calling thread does", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "big.csv");
    const lines = bigCsv(400_000).split("\n");
    lines[1_000] = lines[1_000]!.replace(/^[^,]+/, "oops");
    lines[300_000] = lines[300_000]!.replace(/^[^,]+/, "later");
    await Deno.writeTextFile(path, lines.join("\n"));
    const message = await readDataset(path, { workers: 0 }).then(
      () => "",
      (err: Error) => err.message,
    );
    assert.match(message, /:1001: column "f,0" \(1\): expected a number, got "oops"$/);
    for (const workers of [1, 3]) {
      await assert.rejects(
        readDataset(path, { workers }),
        (err: unknown) => err instanceof DataError && err.message === message,
      );
    }
  });
});

Deno.test("readDataset() on workers gives the calling thread's dataset when the rows outgrow their shares", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "uneven.csv");
    // The first 2 MB of rows are long (a 400-digit cell), the rest short: the rows per byte of
    // the first read make every share far too small, so each range's rows go to an array of
    // their own and are copied into place.
    const long = `1.${"0".repeat(398)}1`;
    const parts = ["a,b,label\n"];
    for (let r = 0; r < 5_000; r++) parts.push(`${long},${r},x\n`);
    for (let r = 0; r < 2_000_000; r++) parts.push(`${r % 97},${r},${r % 3 ? "x" : "y"}\n`);
    await Deno.writeTextFile(path, parts.join(""));
    assert.ok((await Deno.stat(path)).size > 16 << 20);
    const here = await readDataset(path, { workers: 0 });
    assert.equal(here.nRows, 2_005_000);
    for (const workers of [1, 3]) {
      assert.deepEqual(await readDataset(path, { workers }), here, `${workers} workers`);
    }
    // Long rows over the first half, short ones after: the calling thread's rows fit its share,
    // a worker's do not, and would run over the shares after it.
    const half = ["a,b,label\n"];
    for (let r = 0; r < 25_000; r++) half.push(`${long},${r},x\n`);
    for (let r = 0; r < 1_000_000; r++) half.push(`${r % 97},${r},${r % 3 ? "x" : "y"}\n`);
    await Deno.writeTextFile(path, half.join(""));
    const alone = await readDataset(path, { workers: 0 });
    for (const workers of [1, 3]) {
      assert.deepEqual(await readDataset(path, { workers }), alone, `${workers} workers`);
    }
  });
});
