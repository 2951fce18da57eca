import assert from "node:assert/strict";
import { join } from "node:path";
import { dropEmptyProfiles } from "../../tasks/coverage.ts";
import { withTempDir } from "../support/fixtures.ts";

Deno.test("deno task coverage drops the empty profiles a terminated worker leaves, and keeps the rest", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "a.json"), '{"url":"file:///x.ts","functions":[]}');
    await Deno.writeTextFile(join(dir, "b.json"), "");
    await Deno.writeTextFile(join(dir, "c.txt"), "");
    assert.equal(await dropEmptyProfiles(dir), 1);
    const left = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    assert.deepEqual(left.sort(), ["a.json", "c.txt"]);
    assert.equal(await dropEmptyProfiles(join(dir, "missing")), 0);
  });
});
