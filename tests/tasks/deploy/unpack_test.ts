import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { join } from "node:path";
import { unpackZip, zipModes } from "../../../tasks/deploy/unpack.ts";
import { InvalidInput } from "../../../lib/errors.ts";
import { zipFolder } from "../../../function/package/zip.ts";

Deno.test("unpackZip() restores every file with the mode the zip recorded", async () => {
  const src = await Deno.makeTempDir();
  const dst = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(src, "bin"));
    await Deno.writeTextFile(join(src, "bin", "tool"), "#!/bin/sh\necho hi\n");
    await Deno.chmod(join(src, "bin", "tool"), 0o755);
    await Deno.writeTextFile(join(src, "host.json"), "{}");
    await Deno.chmod(join(src, "host.json"), 0o644);
    await zipFolder(src, join(src, "..", "pkg-test.zip"));
    const zip = await Deno.readFile(join(src, "..", "pkg-test.zip"));
    await Deno.remove(join(src, "..", "pkg-test.zip"));
    assert.deepEqual(zipModes(zip), new Map([["bin/tool", 0o755], ["host.json", 0o644]]));
    assert.equal(await unpackZip(zip, dst), 2);
    assert.equal((await Deno.stat(join(dst, "bin", "tool"))).mode! & 0o777, 0o755);
    assert.equal((await Deno.stat(join(dst, "host.json"))).mode! & 0o777, 0o644);
    assert.equal(await Deno.readTextFile(join(dst, "bin", "tool")), "#!/bin/sh\necho hi\n");
  } finally {
    await Deno.remove(src, { recursive: true });
    await Deno.remove(dst, { recursive: true });
  }
});

Deno.test("unpackZip() refuses an entry that leaves the folder and writes nothing outside", async () => {
  const dst = await Deno.makeTempDir();
  try {
    const zip = zipSync({ "../escape.txt": new TextEncoder().encode("x") });
    await assert.rejects(() => unpackZip(zip, dst), InvalidInput);
    await assert.rejects(() => Deno.stat(join(dst, "..", "escape.txt")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dst, { recursive: true });
  }
});

Deno.test("zipModes() rejects bytes that are not a zip", () => {
  assert.throws(
    () => zipModes(new TextEncoder().encode("not a zip at all, just text")),
    /not a zip/,
  );
});
