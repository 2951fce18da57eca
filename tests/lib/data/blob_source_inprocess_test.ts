import assert from "node:assert/strict";
import { BlobServiceClient } from "@azure/storage-blob";
import { withBlobArgs } from "../../../lib/cli/blob_args.ts";
import { parseBlobDataUri, spoolBlob } from "../../../lib/data/blob_source.ts";
import { readSourcedDataset, withLocalData } from "../../../lib/data/source.ts";
import { DataError, StoreError } from "../../../lib/errors.ts";
import { startAzurite } from "../../../tasks/local/azurite.ts";

const CSV = "a,b,label\n1,2,x\n2,1,y\n3,3,x\n4,1,y\n";

Deno.test("blob data in this process: spooled and hashed, errors name the URI, temporary files removed", async () => {
  const azurite = await startAzurite();
  const before = Deno.env.get("AZURE_STORAGE_CONNECTION_STRING");
  Deno.env.set("AZURE_STORAGE_CONNECTION_STRING", azurite.connectionString);
  try {
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const c = service.getContainerClient("data");
    await c.createIfNotExists();
    await c.getBlockBlobClient("t.csv").uploadData(new TextEncoder().encode(CSV));
    await c.getBlockBlobClient("bad.csv").uploadData(new TextEncoder().encode("a,b\n1,x\n"));

    const spooled = await spoolBlob(parseBlobDataUri("azblob://data/t.csv")!);
    assert.equal(await Deno.readTextFile(spooled.path), CSV);
    assert.equal(spooled.bytes, CSV.length);
    assert.ok(spooled.etag);
    await spooled.remove();
    await assert.rejects(Deno.stat(spooled.path), Deno.errors.NotFound);

    const read = await readSourcedDataset("azblob://data/t.csv");
    assert.equal(read.record.uri, "azblob://data/t.csv");
    assert.equal(read.record.rows, 4);
    assert.equal(read.record.etag, spooled.etag);

    await assert.rejects(
      readSourcedDataset("azblob://data/bad.csv"),
      (e: unknown) =>
        e instanceof DataError && e.message.includes("azblob://data/bad.csv") &&
        !e.message.includes("fluxops-data-"),
    );
    await assert.rejects(
      withLocalData("azblob://data/none.csv", () => Promise.resolve(0)),
      (e: unknown) =>
        e instanceof StoreError && /azblob:\/\/data\/none\.csv: no such blob/.test(e.message),
    );

    // withBlobArgs: the CLI sees a local file; its messages name the URI.
    const seen: string[][] = [];
    const lines: string[] = [];
    const error = console.error;
    console.error = (...parts: unknown[]) => lines.push(parts.join(" "));
    let code: number;
    try {
      code = await withBlobArgs([
        "--model",
        "m",
        "--data",
        "azblob://data/t.csv",
        "--eval=azblob://data/t.csv",
      ], async (args) => {
        seen.push(args);
        console.error(`read ${args[3]}`);
        return await Promise.resolve(7);
      });
    } finally {
      console.error = error;
    }
    assert.equal(code, 7);
    assert.equal(seen[0]![0], "--model");
    assert.ok(!seen[0]![3]!.startsWith("azblob:"), "a local path");
    assert.ok(seen[0]![4]!.startsWith("--eval=/"));
    assert.deepEqual(lines, ["read azblob://data/t.csv"]);
    console.error = () => {};
    try {
      assert.equal(
        await withBlobArgs(["--data", "azblob://data/none.csv"], () => Promise.resolve(0)),
        4,
      );
      assert.equal(await withBlobArgs(["--data", "azblob://data"], () => Promise.resolve(0)), 2);
    } finally {
      console.error = error;
    }
  } finally {
    if (before === undefined) Deno.env.delete("AZURE_STORAGE_CONNECTION_STRING");
    else Deno.env.set("AZURE_STORAGE_CONNECTION_STRING", before);
    await azurite.stop();
  }
});
