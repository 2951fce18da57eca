import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { BlobServiceClient } from "@azure/storage-blob";
import { parseBlobDataUri } from "../../../lib/data/blob_source.ts";
import { InvalidInput } from "../../../lib/errors.ts";
import { startAzurite } from "../../../tasks/local/azurite.ts";
import { withTempDir } from "../../support/fixtures.ts";

const ROOT = join(import.meta.dirname!, "..", "..", "..");

function csv(rows: number): string {
  const lines = ["a,b,c,label"];
  for (let i = 0; i < rows; i++) {
    lines.push(`${(i * 37) % 101},${(i * 11) % 13},${i % 7},${(i * 37) % 101 > 50 ? "hi" : "lo"}`);
  }
  return lines.join("\n") + "\n";
}

async function run(script: string, args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, script), ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("parseBlobDataUri() reads azblob:// and https:// blob URIs and refuses malformed ones", () => {
  assert.equal(parseBlobDataUri("train.csv"), undefined);
  assert.equal(parseBlobDataUri("/srv/data/train.csv"), undefined);
  const az = parseBlobDataUri("azblob://data/2026/12/train.csv")!;
  assert.equal(az.blob, "2026/12/train.csv");
  assert.deepEqual(az.container, { kind: "blob", auth: "connection-string", container: "data" });
  const https = parseBlobDataUri("https://acme.blob.core.windows.net/data/x/train.csv")!;
  assert.equal(https.blob, "x/train.csv");
  assert.equal(https.container.kind === "blob" && https.container.auth, "default-credential");
  const bad: [string, RegExp][] = [
    ["azblob://data", /expected azblob:\/\/<container>\/<path>/],
    ["azblob://data/", /expected azblob:\/\/<container>\/<path>/],
    ["https://acme.blob.core.windows.net/data", /expected https:\/\/<account>/],
    ["https://acme.blob.core.windows.net/data/t.csv?sv=2024&sig=x", /query string/],
    ["azblob://Bad_Name/t.csv", /not a valid container name/],
  ];
  for (const [uri, message] of bad) {
    assert.throws(
      () => parseBlobDataUri(uri),
      (e: unknown) => e instanceof InvalidInput && message.test(e.message),
      uri,
    );
  }
});

Deno.test("train, predict and drift read --data from Azurite; lineage has the blob's sha256 and ETag; errors name the URI", async () => {
  const azurite = await startAzurite();
  try {
    await withTempDir(async (dir) => {
      const env = { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString };
      const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
      const data = service.getContainerClient("data");
      await data.createIfNotExists();
      const trainBytes = new TextEncoder().encode(csv(300));
      const put = await data.getBlockBlobClient("sets/train.csv").uploadData(trainBytes);
      await data.getBlockBlobClient("sets/eval.csv").uploadData(new TextEncoder().encode(csv(60)));
      await data.getBlockBlobClient("sets/binary.csv").uploadData(
        new Uint8Array([0, 159, 146, 150, 0, 1, 2]),
      );

      // Training from a blob, evaluated on another blob, published to a store container that
      // does not exist yet (first use: created).
      const out = join(dir, "m");
      const trained = await run("trainer/main.ts", [
        "--data",
        "azblob://data/sets/train.csv",
        "--eval",
        "azblob://data/sets/eval.csv",
        "--trees",
        "5",
        "--out",
        out,
        "--publish",
        "--store",
        "azblob://fresh-models",
        "--json",
      ], env);
      assert.equal(trained.code, 0, trained.stderr);
      const model = JSON.parse(await Deno.readTextFile(join(out, "model.json")));
      assert.deepEqual(model.data.train, {
        uri: "azblob://data/sets/train.csv",
        sha256: createHash("sha256").update(trainBytes).digest("hex"),
        rows: 300,
        columns: 4,
        etag: put.etag,
      });
      assert.equal(model.data.eval.uri, "azblob://data/sets/eval.csv");
      assert.equal(model.data.eval.rows, 60);
      assert.ok(await service.getContainerClient("fresh-models").exists(), "first use created it");

      // predict and drift stream the same kind of URI.
      const predicted = await run("trainer/predict.ts", [
        "--model",
        out,
        "--data",
        "azblob://data/sets/eval.csv",
        "--out",
        join(dir, "scores.csv"),
      ], env);
      assert.equal(predicted.code, 0, predicted.stderr);
      assert.equal(
        (await Deno.readTextFile(join(dir, "scores.csv"))).trim().split("\n").length,
        61,
      );
      const drift = await run("tasks/drift.ts", [
        "--model",
        out,
        "--data=azblob://data/sets/eval.csv",
        "--out",
        join(dir, "drift"),
        "--json",
      ], env);
      assert.equal(drift.code, 0, drift.stderr);
      assert.ok(!drift.stdout.includes("fluxops-data-"), "no temporary path in the output");

      // Errors: each names the URI and the cause.
      const wrongKey = azurite.connectionString.replace(
        /AccountKey=[^;]+/,
        `AccountKey=${btoa("wrong-key-wrong-key-wrong-key-00")}`,
      );
      const cases: [string, string[], Record<string, string>, number, RegExp][] = [
        [
          "a missing blob",
          ["--data", "azblob://data/sets/nope.csv"],
          env,
          4,
          /cannot read azblob:\/\/data\/sets\/nope\.csv: no such blob/,
        ],
        [
          "a missing container (created, empty)",
          ["--data", "azblob://newdata/t.csv"],
          env,
          4,
          /cannot read azblob:\/\/newdata\/t\.csv: no such blob \(the container "newdata" did not exist: it was just created, empty\)/,
        ],
        [
          "no permission",
          ["--data", "azblob://data/sets/train.csv"],
          { AZURE_STORAGE_CONNECTION_STRING: wrongKey },
          4,
          /cannot read azblob:\/\/data\/sets\/train\.csv: access denied \(HTTP 403/,
        ],
        [
          "not CSV",
          ["--data", "azblob://data/sets/binary.csv"],
          env,
          1,
          /azblob:\/\/data\/sets\/binary\.csv/,
        ],
        [
          "an https blob URL without Azure credentials",
          ["--data", "https://fluxopsnoacct.blob.core.windows.net/data/t.csv"],
          {},
          4,
          /cannot read https:\/\/fluxopsnoacct\.blob\.core\.windows\.net\/data\/t\.csv: could not get an access token/,
        ],
        [
          "no connection string",
          ["--data", "azblob://data/sets/train.csv"],
          {},
          2,
          /needs AZURE_STORAGE_CONNECTION_STRING/,
        ],
      ];
      for (const [what, args, e, code, message] of cases) {
        const r = await run(
          "trainer/main.ts",
          ["--trees", "2", "--out", join(dir, "x"), ...args],
          e,
        );
        assert.equal(r.code, code, `${what}: ${r.stderr}`);
        assert.match(r.stderr, message, what);
        assert.ok(!r.stderr.includes("fluxops-data-"), `${what}: no temporary path`);
      }
      assert.ok(await service.getContainerClient("newdata").exists());
      const p = await run("trainer/predict.ts", [
        "--model",
        out,
        "--data",
        "azblob://data/nope.csv",
      ], env);
      assert.equal(p.code, 4, p.stderr);
      assert.match(p.stderr, /cannot read azblob:\/\/data\/nope\.csv: no such blob/);
    });
  } finally {
    await azurite.stop();
  }
});
