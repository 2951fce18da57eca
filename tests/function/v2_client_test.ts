import assert from "node:assert/strict";
import { join } from "node:path";
import { saveModel } from "../../lib/model/artifact.ts";
import { withTempDir } from "../support/fixtures.ts";
import { smallModel } from "../support/models.ts";
import { needsTool, pythonWith } from "../support/python.ts";
import { startServer } from "../support/server.ts";

const python = pythonWith("tritonclient.http");

Deno.test({
  name: "the Triton/KServe V2 Python HTTP client works against the function, binary and JSON",
  ...needsTool(python !== undefined, "tritonclient (PyPI) for the V2 client test"),
  async fn() {
    assert.ok(python, "tritonclient[http] must be installed: run .ci/setup_tools.sh");
    await withTempDir(async (dir) => {
      const path = join(dir, "model.json");
      await saveModel(path, smallModel({ nFeatures: 4, classes: ["ham", "spam"] }).artifact);
      const server = await startServer(["--model", path, "--model-name", "spamfilter"]);
      try {
        const out = await new Deno.Command(python, {
          args: [
            join(import.meta.dirname!, "../python/v2_client_check.py"),
            server.url.replace("http://", ""),
            "spamfilter",
            "4",
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const dec = new TextDecoder();
        assert.equal(out.code, 0, dec.decode(out.stderr));
        const result = JSON.parse(dec.decode(out.stdout));
        assert.equal(result.ok, true);
        assert.equal(Object.keys(result.labels).length, 6);
        // Every encoding (binary or JSON, in and out, FP32 or FP64) gives the same labels.
        assert.equal(new Set(Object.values(result.labels).map((l) => JSON.stringify(l))).size, 1);
        for (const labels of Object.values(result.labels) as string[][]) {
          for (const l of labels) assert.ok(["ham", "spam"].includes(l), l);
        }
        assert.match(result.error, /takes 4 features, got 5/);
      } finally {
        await server.stop();
      }
    });
  },
});
