import assert from "node:assert/strict";
import { LineWriter, writeAllSync } from "../../../lib/log/line_writer.ts";

function collector(): { writes: string[]; write: (b: Uint8Array) => void } {
  const writes: string[] = [];
  const decoder = new TextDecoder();
  return { writes, write: (b) => writes.push(decoder.decode(b)) };
}

Deno.test("queued lines are written together, in order, one newline each, on flush", () => {
  const c = collector();
  const w = new LineWriter(c.write);
  w.line("a");
  w.line('{"b":1}');
  assert.deepEqual(c.writes, []);
  w.flush();
  assert.deepEqual(c.writes, ['a\n{"b":1}\n']);
  w.flush();
  assert.equal(c.writes.length, 1, "an empty flush writes nothing");
});

Deno.test("lines are written at once when a buffer's worth has gathered", () => {
  const c = collector();
  const w = new LineWriter(c.write, { maxChars: 10 });
  w.line("12345");
  assert.equal(c.writes.length, 0);
  w.line("6789");
  assert.deepEqual(c.writes, ["12345\n6789\n"]);
});

Deno.test("a queued line is written by itself within the flush interval", async () => {
  const c = collector();
  const w = new LineWriter(c.write, { flushMs: 5 });
  w.line("late");
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(c.writes, ["late\n"]);
});

Deno.test("writeAllSync loops over partial writes until every byte is out", () => {
  const got: number[] = [];
  const sink = {
    writeSync(p: Uint8Array): number {
      const n = Math.min(3, p.length);
      got.push(...p.subarray(0, n));
      return n;
    },
  };
  writeAllSync(sink, new Uint8Array([1, 2, 3, 4, 5, 6, 7]));
  assert.deepEqual(got, [1, 2, 3, 4, 5, 6, 7]);
});

Deno.test("lines beyond ASCII are written as UTF-8, byte for byte", () => {
  const bytes: Uint8Array[] = [];
  const w = new LineWriter((b) => bytes.push(b.slice()));
  for (const text of ['{"model_version":"v1"}', '{"route":"/v2/models/modèle"}', "日本 🚀"]) {
    w.line(text);
    w.flush();
  }
  assert.deepEqual(
    bytes.map((b) => Array.from(b)),
    ['{"model_version":"v1"}\n', '{"route":"/v2/models/modèle"}\n', "日本 🚀\n"].map((t) =>
      Array.from(new TextEncoder().encode(t))
    ),
  );
});
