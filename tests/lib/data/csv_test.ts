import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError, InvalidInput } from "../../../lib/errors.ts";
import {
  type FeatureTable,
  parseDataset,
  parseFeatureTable,
  type ParseFeatureTableOptions,
  readDataset,
  type ReadDatasetOptions,
  readFeatureTable,
} from "../../../lib/data/csv.ts";

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fluxops_csv_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Asserts that `err` is a DataError with exactly `message`. */
function isDataError(message: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof DataError, `expected a DataError, got ${err}`);
    assert.equal(err.code, "data_error");
    assert.equal(err.message, message);
    return true;
  };
}

/** Same as isDataError, for messages that end with text from csv-parse. */
function isDataErrorStarting(prefix: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof DataError, `expected a DataError, got ${err}`);
    assert.equal(err.code, "data_error");
    assert.ok(err.message.startsWith(prefix), `${JSON.stringify(err.message)} / ${prefix}`);
    return true;
  };
}

Deno.test("parseDataset() reads features and integer labels as numbers", () => {
  const ds = parseDataset("a,b,label\n1,2,10\n3.5,-4,2\n5,6,-1\n7,8e2,2\n");
  assert.deepEqual(ds.featureNames, ["a", "b"]);
  assert.equal(ds.target, "label");
  assert.equal(ds.nRows, 4);
  assert.equal(ds.nFeatures, 2);
  assert.deepEqual(ds.x, Float64Array.from([1, 2, 3.5, -4, 5, 6, 7, 800]));
  assert.deepEqual(ds.classes, [-1, 2, 10]);
  assert.deepEqual(ds.y, Int32Array.from([2, 1, 0, 1]));
});

Deno.test("parseDataset() treats integer labels written differently as one class", () => {
  const ds = parseDataset("a,t\n1,1\n2,01\n3,+1\n4,0\n");
  assert.deepEqual(ds.classes, [0, 1]);
  assert.deepEqual(ds.y, Int32Array.from([1, 1, 1, 0]));
});

Deno.test("parseDataset() keeps labels as strings unless every one is an integer", () => {
  assert.deepEqual(parseDataset("a,t\n1,1\n2,x\n").classes, ["1", "x"]);
  assert.deepEqual(parseDataset("a,t\n1,1.0\n2,2\n").classes, ["1.0", "2"]);
  assert.deepEqual(parseDataset("a,t\n1,9007199254740993\n2,2\n").classes, [
    "2",
    "9007199254740993",
  ]);
});

Deno.test("parseDataset() sorts string classes by code point", () => {
  const labels = ["b", "😀", "ab", "a", "\uff01", "B", "é"];
  const text = `x,t\n${labels.map((l, i) => `${i},${l}`).join("\n")}\n`;
  const ds = parseDataset(text);
  assert.deepEqual(ds.classes, ["B", "a", "ab", "b", "é", "\uff01", "😀"]);
  assert.deepEqual(ds.y, Int32Array.from([3, 6, 2, 1, 5, 0, 4]));
});

Deno.test("parseDataset() takes the target column by name, anywhere", () => {
  const ds = parseDataset("a,label,b\n1,yes,2\n3,no,4\n", { target: "label" });
  assert.deepEqual(ds.featureNames, ["a", "b"]);
  assert.deepEqual(ds.x, Float64Array.from([1, 2, 3, 4]));
  assert.deepEqual(ds.classes, ["no", "yes"]);
  assert.deepEqual(ds.y, Int32Array.from([1, 0]));
});

Deno.test("parseDataset() accepts quotes, CRLF, a BOM, blank lines and no final newline", () => {
  const text = '\ufeff"a,1","b ""q""",t\r\n"1",2,"x, y"\r\n\r\n 3 ,".5",z\r\n-0,+1e-3,"x, y"';
  const ds = parseDataset(text);
  assert.deepEqual(ds.featureNames, ["a,1", 'b "q"']);
  assert.deepEqual(ds.x, Float64Array.from([1, 2, 3, 0.5, -0, 0.001]));
  assert.deepEqual(ds.classes, ["x, y", "z"]);
  assert.deepEqual(ds.y, Int32Array.from([0, 1, 0]));
});

Deno.test("parseDataset() accepts a mix of LF, CRLF and CR line ends", () => {
  const ds = parseDataset("a,t\n1,x\r\n2,y\r3,x\n\r\n4,y");
  assert.deepEqual(ds.x, Float64Array.from([1, 2, 3, 4]));
  assert.deepEqual(ds.y, Int32Array.from([0, 1, 0, 1]));
});

/** [what, csv text, options, message after the source name] */
const BAD_DATASETS: [string, string, ReadDatasetOptions, string][] = [
  [
    "a non-numeric cell",
    "a,b,t\n1,2,x\n3,abc,y\n",
    {},
    ':3: column "b" (2): expected a number, got "abc"',
  ],
  [
    "an empty cell",
    "a,b,t\n1,,x\n",
    {},
    ':2: column "b" (2): expected a number, got an empty cell',
  ],
  [
    "a blank cell",
    "a,b,t\n1,  ,x\n",
    {},
    ':2: column "b" (2): expected a number, got an empty cell',
  ],
  [
    "an infinite cell",
    "a,b,t\n-Infinity,1,x\n",
    {},
    ':2: column "a" (1): expected a finite number, got "-Infinity"',
  ],
  ["a NaN cell", "a,b,t\n1,NaN,x\n", {}, ':2: column "b" (2): expected a finite number, got "NaN"'],
  ["a hex cell", "a,b,t\n0x1F,1,x\n", {}, ':2: column "a" (1): expected a number, got "0x1F"'],
  [
    "a long bad cell, shortened",
    `a,t\n${"z".repeat(50)},x\n`,
    {},
    `:2: column "a" (1): expected a number, got "${"z".repeat(40)}..."`,
  ],
  [
    "a short ragged row",
    "a,b,t\n1,2,x\n3,y\n",
    {},
    ":3: expected 3 fields (as in the header), got 2",
  ],
  ["a long ragged row", "a,b,t\n1,2,x,9\n", {}, ":2: expected 3 fields (as in the header), got 4"],
  ["an empty file", "", {}, ": empty file, expected a header row"],
  ["a file of blank lines", "\n\r\n\n", {}, ": empty file, expected a header row"],
  ["a header only", "a,b,t\n", {}, ": no data rows after the header"],
  [
    "a missing target column",
    "a,b,t\n1,2,x\n",
    { target: "label" },
    ':1: no target column "label"; columns are [a, b, t]',
  ],
  [
    "a missing target column among many",
    `${Array.from({ length: 25 }, (_, i) => `c${i}`).join()}\n${"1,".repeat(24)}1\n`,
    { target: "label" },
    ':1: no target column "label"; columns are ' +
    `[${Array.from({ length: 20 }, (_, i) => `c${i}`).join(", ")}, ... (25 in all)]`,
  ],
  [
    "a duplicate column name",
    "a,b,a\n1,2,x\n",
    {},
    ':1: duplicate column name "a" (columns 1 and 3)',
  ],
  ["an empty column name", "a,,t\n1,2,x\n", {}, ":1: column 2 has an empty name"],
  ["only a target column", "t\nx\ny\n", {}, ':1: no feature columns besides the target "t"'],
  [
    "a single class",
    "a,t\n1,x\n2,x\n",
    {},
    ': target "t" has a single class ("x"); at least two are needed',
  ],
  [
    "a single integer class written two ways",
    "a,t\n1,1\n2,01\n",
    {},
    ': target "t" has a single class (1); at least two are needed',
  ],
  ["an empty label", "a,t\n1,x\n2,\n", {}, ':3: column "t" (2): empty class label'],
  [
    "a bad cell after a multi-line field",
    'a,t\n1,"x\ny"\n2,"x\r\ny"\nzz,x\n',
    {},
    ':6: column "a" (1): expected a number, got "zz"',
  ],
  [
    "a bad multi-line cell",
    'a,t\n1,x\n"1\n2",y\n',
    {},
    ':3: column "a" (1): expected a number, got "1\\n2"',
  ],
  [
    "a ragged multi-line row",
    'a,b,t\n1,2,x\n"1\n2",y\n',
    {},
    ":3: expected 3 fields (as in the header), got 2",
  ],
  [
    "a bad cell after lone CR line ends",
    'a,t\r1,x\r\r2,"y\r3"\rq,x\r',
    {},
    ':6: column "a" (1): expected a number, got "q"',
  ],
  [
    "a bad cell after CRLF and blank lines",
    "\ufeffa,t\r\n1,x\r\n\r\n\r\nq,y\r\n",
    {},
    ':5: column "a" (1): expected a number, got "q"',
  ],
];

const MALFORMED: [string, string, string][] = [
  [
    "an unclosed quote",
    'a,t\n1,x\n2,"y\n',
    ':3: column "t" (2): malformed CSV: a quoted field is not closed by the end of the file',
  ],
  [
    "an unclosed quote after a CRLF in quotes and blank lines",
    'a,t\r\n1,"x\r\ny"\r\n\r\n2,"z\r\n3,x\r\n',
    ':5: column "t" (2): malformed CSV: a quoted field is not closed by the end of the file',
  ],
  [
    "text after a closing quote",
    'a,t\n1,x\n2,"y"z\n',
    ':3: column "t" (2): malformed CSV: text follows a closing quote ' +
    '(inside a quoted field, write a quote as "")',
  ],
  [
    "a quote inside a field",
    'a,t\n1,x\n2,y"z"\n',
    ':3: column "t" (2): malformed CSV: a quote inside an unquoted field ' +
    '(quote the whole field and write inner quotes as "")',
  ],
  [
    "a quote error in the header",
    'a,"t"x\n1,x\n',
    ":1: column 2: malformed CSV: text follows a closing quote " +
    '(inside a quoted field, write a quote as "")',
  ],
];

Deno.test("parseDataset() rejects bad input naming the line and column", () => {
  for (const [what, text, opts, message] of BAD_DATASETS) {
    assert.throws(
      () => parseDataset(text, { ...opts, source: "data.csv" }),
      isDataError(`data.csv${message}`),
      what,
    );
  }
  assert.throws(() => parseDataset(""), isDataError("<input>: empty file, expected a header row"));
});

Deno.test("parseDataset() maps CSV syntax errors to DataError with their line", () => {
  for (const [what, text, message] of MALFORMED) {
    assert.throws(() => parseDataset(text), isDataError(`<input>${message}`), what);
  }
});

Deno.test("readDataset() rejects bad files with the same messages, naming the file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "data.csv");
    for (const [what, text, opts, message] of BAD_DATASETS) {
      await Deno.writeTextFile(path, text);
      await assert.rejects(readDataset(path, opts), isDataError(`${path}${message}`), what);
    }
    for (const [what, text, message] of MALFORMED) {
      await Deno.writeTextFile(path, text);
      await assert.rejects(readDataset(path), isDataError(`${path}${message}`), what);
    }
  });
});

/** A CSV with `rows` rows of 3 features, quoted fields and CRLF, several read chunks long. */
function bigCsv(rows: number): string {
  const lines = ['"f,0",f1,f2,label'];
  for (let r = 0; r < rows; r++) {
    lines.push(`${r},"${(r * 0.37).toFixed(3)}",${-r / 7},${r % 3 === 0 ? '"c, 0"' : `c${r % 3}`}`);
  }
  return lines.join("\r\n") + "\r\n";
}

Deno.test("readDataset() streams a multi-chunk file to the same dataset as parseDataset()", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "big.csv");
    const text = bigCsv(30000);
    assert.ok(text.length > 5 * 65536);
    await Deno.writeTextFile(path, text);
    const read = await readDataset(path);
    assert.deepEqual(read, parseDataset(text));
    assert.equal(read.nRows, 30000);
    assert.deepEqual(read.featureNames, ["f,0", "f1", "f2"]);
    assert.deepEqual(read.classes, ["c, 0", "c1", "c2"]);
    assert.equal(read.x[3 * 29999 + 1], Number((29999 * 0.37).toFixed(3)));
  });
});

Deno.test("readDataset() stops at an early error in a large file and closes it", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "big.csv");
    const text = bigCsv(30000).replace("\r\n1,", "\r\none,");
    await Deno.writeTextFile(path, text);
    await assert.rejects(
      readDataset(path),
      isDataError(`${path}:3: column "f,0" (1): expected a number, got "one"`),
    );
  });
});

Deno.test("readDataset() names the right line for an error near the end of a large file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "big.csv");
    await Deno.writeTextFile(path, `${bigCsv(30000)}1,2,3\r\n`);
    await assert.rejects(
      readDataset(path),
      isDataError(`${path}:30002: expected 4 fields (as in the header), got 3`),
    );
  });
});

const lineEnds: [string, string, string][] = [
  ["LF line ends", "\n", "\n"],
  ["CRLF line ends", "\r\n", "\r\n"],
  ["CR line ends", "\r", "\r"],
  ["mixed line ends", "\r\n", "\n"],
  ["blank lines", "\n\n", "\r\n"],
];
for (const [what, even, odd] of lineEnds) {
  Deno.test(`readDataset() stores the values once, sized to the rows (${what})`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "d.csv");
      let text = "x,y,label";
      for (let i = 0; i < 5000; i++) text += `${i % 2 ? odd : even}${i},${i / 4},${i % 3}`;
      await Deno.writeTextFile(path, text);
      const ds = await readDataset(path);
      assert.equal(ds.nRows, 5000);
      assert.equal(ds.x.length, 10000);
      assert.equal(ds.x[9999], 4999 / 4);
      // No doubling and no copy: the array's buffer has room for at most one more row (and
      // blank lines), counted before parsing.
      const blank = what === "blank lines" ? 2500 : 0;
      assert.ok(ds.x.buffer.byteLength <= (5001 + blank) * 2 * 8, `${ds.x.buffer.byteLength}`);
    });
  });
}

Deno.test("readDataset() counts a CRLF split between two 1 MiB reads as one line end", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "d.csv");
    // A 7-byte header, then 5-byte rows: the CR of row 209713 is the last byte of the first MiB.
    const rows = 250_000;
    await Deno.writeTextFile(path, "aaa,bb\n" + "1,0\r\n2,1\r\n".repeat(rows / 2));
    const bytes = await Deno.readFile(path);
    assert.equal(bytes[2 ** 20 - 1], 0x0d);
    assert.equal(bytes[2 ** 20], 0x0a);
    const ds = await readDataset(path);
    assert.equal(ds.nRows, rows);
    assert.ok(ds.x.buffer.byteLength <= (rows + 1) * 8, `${ds.x.buffer.byteLength}`);
  });
});

Deno.test({
  name: "readDataset() reads a 100 MB file in memory well under its size",
  ignore: Deno.build.os !== "linux", // it reads /proc/self/status
  fn: async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "big.csv");
      const rows = 600_000;
      const file = await Deno.open(path, { write: true, create: true });
      const enc = new TextEncoder();
      await file.write(enc.encode("f0,f1,f2,f3,f4,f5,f6,f7,f8,f9,target\n"));
      for (let start = 0; start < rows; start += 10_000) {
        let chunk = "";
        for (let i = start; i < start + 10_000; i++) {
          for (let j = 0; j < 10; j++) chunk += `${Math.sin(i * 10 + j) * 1000},`;
          chunk += `${i % 2}\n`;
        }
        await file.write(enc.encode(chunk));
      }
      file.close();
      const size = (await Deno.stat(path)).size;
      assert.ok(size > 100e6, `${size}`);
      const measure = async (...workers: string[]) => {
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--allow-all", // /proc/self/status needs it
            join(import.meta.dirname!, "../../support/read_csv_memory.ts"),
            path,
            ...workers,
          ],
          stdout: "piped",
          stderr: "inherit",
        }).output();
        assert.ok(out.success);
        const m = JSON.parse(new TextDecoder().decode(out.stdout));
        assert.equal(m.rows, rows);
        assert.equal(m.xBytes, rows * 10 * 8);
        // The values (48 MB here) are stored once; csv-parse's short-lived strings come on top.
        // Measured: about 0.6x the file's size (the reader that doubled its array: 1.3x).
        const grew = m.peak - m.before;
        assert.ok(grew < 0.8 * size, `peak grew by ${grew} bytes for a ${size}-byte file`);
        assert.ok(grew < m.xBytes + 64 * 2 ** 20, `peak grew by ${grew} bytes for ${m.xBytes}`);
        return m;
      };
      // One thread: the values' buffer is trimmed to them.
      const alone = await measure("0");
      assert.ok(alone.xBufferBytes <= (rows + 1) * 10 * 8);
      // The default, a worker or more beside the calling thread: the shared buffer's shares
      // have a 2% margin (address space; only the pages written are memory).
      const shared = await measure();
      assert.ok(shared.xBufferBytes <= 1.03 * shared.xBytes + 8 * 256 * 10 * 8);
    });
  },
});

Deno.test("readDataset() reports a missing file as not found", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "nope.csv");
    await assert.rejects(readDataset(path), isDataError(`cannot read ${path}: not found`));
  });
});

Deno.test("readDataset() reports a file it cannot read", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(readDataset(dir), isDataErrorStarting(`cannot read ${dir}: `));
  });
});

Deno.test("readFeatureTable() puts columns in the model's order and returns the target", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "score.csv");
    await Deno.writeTextFile(path, "f2,target,f0,f1\n3,1,1,2\n6,0,4,5\n");
    const table = await readFeatureTable(path, { features: ["f0", "f1", "f2"], target: "target" });
    assert.deepEqual(
      table,
      {
        x: Float64Array.from([1, 2, 3, 4, 5, 6]),
        nRows: 2,
        header: ["f2", "target", "f0", "f1"],
        targetValues: [1, 0],
      } satisfies FeatureTable,
    );
  });
});

Deno.test("readFeatureTable() accepts a file without the target column", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "score.csv");
    await Deno.writeTextFile(path, "b,a\n1,2\n3,4\n");
    const table = await readFeatureTable(path, { features: ["a", "b"], target: "label" });
    assert.deepEqual(table.x, Float64Array.from([2, 1, 4, 3]));
    assert.equal(table.targetValues, undefined);
    const noTarget = await readFeatureTable(path, { features: ["b", "a"] });
    assert.deepEqual(noTarget.x, Float64Array.from([1, 2, 3, 4]));
    assert.equal(noTarget.targetValues, undefined);
  });
});

Deno.test("parseFeatureTable() keeps string target labels as given", () => {
  const table = parseFeatureTable("a,t\n1,yes\n2,no\n3,1\n", { features: ["a"], target: "t" });
  assert.deepEqual(table.targetValues, ["yes", "no", "1"]);
  assert.deepEqual(table.x, Float64Array.from([1, 2, 3]));
});

/** [what, csv text, options, message after the source name] */
const BAD_TABLES: [string, string, Omit<ParseFeatureTableOptions, "source">, string][] = [
  [
    "missing and extra columns",
    "f0,f1,foo,f2,target\n1,2,3,4,5\n",
    { features: ["f0", "f1", "f2", "f3", "f7"], target: "target" },
    ": columns do not match the model: missing [f3, f7]; extra [foo]",
  ],
  [
    "a missing column",
    "f0\n1\n",
    { features: ["f0", "f1"] },
    ": columns do not match the model: missing [f1]",
  ],
  [
    "a target column the model does not know",
    "f0,target\n1,2\n",
    { features: ["f0"] },
    ": columns do not match the model: extra [target]",
  ],
  [
    "a non-numeric cell",
    "target,f1,f0\n1,2,3\n0,abc,4\n",
    { features: ["f0", "f1"], target: "target" },
    ':3: column "f1" (2): expected a number, got "abc"',
  ],
  [
    "a ragged row",
    "f0,f1\n1,2\n3\n",
    { features: ["f0", "f1"] },
    ":3: expected 2 fields (as in the header), got 1",
  ],
  [
    "an empty target label",
    "f0,t\n1,\n",
    { features: ["f0"], target: "t" },
    ':2: column "t" (2): empty class label',
  ],
  ["a header only", "f0\n", { features: ["f0"] }, ": no data rows after the header"],
  ["an empty file", "", { features: ["f0"] }, ": empty file, expected a header row"],
  [
    "a duplicate column",
    "f0,f0\n1,2\n",
    { features: ["f0"] },
    ':1: duplicate column name "f0" (columns 1 and 2)',
  ],
];

Deno.test("parseFeatureTable() rejects bad input listing columns or naming line and column", () => {
  for (const [what, text, opts, message] of BAD_TABLES) {
    assert.throws(
      () => parseFeatureTable(text, { ...opts, source: "data.csv" }),
      isDataError(`data.csv${message}`),
      what,
    );
  }
});

Deno.test("readFeatureTable() rejects bad files with the same messages", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "data.csv");
    for (const [what, text, opts, message] of BAD_TABLES) {
      await Deno.writeTextFile(path, text);
      await assert.rejects(readFeatureTable(path, opts), isDataError(`${path}${message}`), what);
    }
    await assert.rejects(
      readFeatureTable(join(dir, "none.csv"), { features: ["f0"] }),
      isDataError(`cannot read ${join(dir, "none.csv")}: not found`),
    );
  });
});

Deno.test("readFeatureTable() rejects a bad feature list before reading anything", async () => {
  const cases: [ParseFeatureTableOptions, string][] = [
    [{ features: [] }, "features: expected at least one name"],
    [{ features: ["a", "b", "a"] }, 'features: duplicate name "a"'],
    [{ features: ["a", "t"], target: "t" }, 'target "t" is also listed in features'],
  ];
  for (const [opts, message] of cases) {
    const check = (err: unknown) => {
      assert.ok(err instanceof InvalidInput);
      assert.equal(err.code, "invalid_input");
      assert.equal(err.message, message);
      return true;
    };
    assert.throws(() => parseFeatureTable("a,b,t\n1,2,3\n", opts), check);
    await assert.rejects(readFeatureTable("/nonexistent/never-read.csv", opts), check);
  }
});
