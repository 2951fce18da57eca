import assert from "node:assert/strict";
import { dotenv } from "../../../tasks/deploy/dotenv.ts";
import { blobOf, isRelease, packageUrl, releaseOf, stamp } from "../../../tasks/deploy/release.ts";
import { InvalidInput } from "../../../lib/errors.ts";

const AT = new Date("2026-11-25T18:30:05.123Z");
const BYTES = new TextEncoder().encode("a package");

Deno.test("releaseOf() names a package by UTC time and the start of its SHA-256", () => {
  const r = releaseOf(BYTES, AT);
  assert.equal(stamp(AT), "20261125T183005Z");
  assert.equal(r.sha256.length, 64);
  assert.equal(r.blob, `function/20261125T183005Z-${r.sha256.slice(0, 8)}.zip`);
  assert.equal(r.bytes, BYTES.length);
  assert.ok(isRelease(r.blob));
  assert.ok(!isRelease("function/fluxops-function.zip"));
});

Deno.test("packageUrl() and blobOf() go between a container, a blob and the app setting", () => {
  const container = "https://st.blob.core.windows.net/deployments/";
  const url = packageUrl(container, "function/x.zip");
  assert.equal(url, "https://st.blob.core.windows.net/deployments/function/x.zip");
  assert.equal(blobOf(container, url), "function/x.zip");
  assert.equal(
    blobOf("azblob://deployments", "azblob://deployments/function/y.zip"),
    "function/y.zip",
  );
  for (const bad of ["https://other.blob.core.windows.net/deployments/x.zip", container]) {
    assert.throws(() => blobOf(container, bad), InvalidInput);
  }
  assert.throws(
    () => blobOf(container, "https://evil.example/x.zip?sig=secret"),
    (err: Error) => !err.message.includes("secret"),
  );
});

Deno.test("dotenv() writes KEY=value lines and refuses what GitLab cannot read", () => {
  assert.equal(dotenv({ A: "1", B_2: "https://x/y?z=1" }), "A=1\nB_2=https://x/y?z=1\n");
  assert.throws(() => dotenv({ "not-a-name": "x" }), /is not a variable name/);
  assert.throws(() => dotenv({ A: "two\nlines" }), /holds a line break/);
});
