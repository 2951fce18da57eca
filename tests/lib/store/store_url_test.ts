import assert from "node:assert/strict";
import { InvalidInput } from "../../../lib/errors.ts";
import { isLoopbackHost } from "../../../lib/net/loopback.ts";
import { parseStoreUrl, type StoreLocation } from "../../../lib/store/store_url.ts";

const GOOD: [string, StoreLocation][] = [
  [".fluxops/models", { kind: "file", path: ".fluxops/models" }],
  ["  /srv/models  ", { kind: "file", path: "/srv/models" }],
  ["C:\\models", { kind: "file", path: "C:\\models" }],
  ["file:///srv/models", { kind: "file", path: "/srv/models" }],
  ["file://localhost/srv/my%20models", { kind: "file", path: "/srv/my models" }],
  ["https://acme.blob.core.windows.net/models", {
    kind: "blob",
    auth: "default-credential",
    url: "https://acme.blob.core.windows.net/models",
    account: "acme",
    container: "models",
  }],
  ["HTTPS://Acme.Blob.Core.Windows.Net/models/", {
    kind: "blob",
    auth: "default-credential",
    url: "https://acme.blob.core.windows.net/models",
    account: "acme",
    container: "models",
  }],
  ["https://acme.blob.core.chinacloudapi.cn/fluxops-models", {
    kind: "blob",
    auth: "default-credential",
    url: "https://acme.blob.core.chinacloudapi.cn/fluxops-models",
    account: "acme",
    container: "fluxops-models",
  }],
  ["https://127.0.0.1:10000/devstoreaccount1/models", {
    kind: "blob",
    auth: "default-credential",
    url: "https://127.0.0.1:10000/devstoreaccount1/models",
    account: "devstoreaccount1",
    container: "models",
  }],
  ["https://storage.example.com/acme/models", {
    kind: "blob",
    auth: "default-credential",
    url: "https://storage.example.com/acme/models",
    account: "acme",
    container: "models",
  }],
  ["azblob://models", { kind: "blob", auth: "connection-string", container: "models" }],
  ["azblob://models/", { kind: "blob", auth: "connection-string", container: "models" }],
];

for (const [input, expected] of GOOD) {
  Deno.test(`parseStoreUrl() reads ${JSON.stringify(input)}`, () => {
    assert.deepEqual(parseStoreUrl(input), expected);
  });
}

/** [input, a fragment the message must contain]. */
const BAD: [string, string][] = [
  ["", "it is empty"],
  ["   ", "it is empty"],
  ["http://acme.blob.core.windows.net/models", "plain http is not allowed"],
  ["http://127.0.0.1:10000/devstoreaccount1/models", "use azblob://<container>"],
  ["http://localhost:10000/devstoreaccount1/models", "use azblob://<container>"],
  ["https://acme.blob.core.windows.net", "expected https://<account>.blob."],
  ["https://acme.blob.core.windows.net/models/extra", "expected https://<account>.blob."],
  ["https://acme.blob.core.windows.net/Models", "not a valid container name"],
  ["https://acme.blob.core.windows.net/a--b", "not a valid container name"],
  ["https://acme.blob.core.windows.net/ab", "not a valid container name"],
  ["https://acme.blob.core.windows.net/-models", "not a valid container name"],
  ["https://ACME_1.blob.core.windows.net/models", "not a valid storage account name"],
  ["https://storage.example.com/models", "path-style endpoint"],
  ["https://storage.example.com//models", "empty segment"],
  ["https://storage.example.com/acme/models%zz", "percent-encoding"],
  ["https://acme.blob.core.windows.net/models?sv=2024&sig=c2VjcmV0", "query string"],
  ["https://acme.blob.core.windows.net/models#frag", "query string"],
  ["https://user:p4ss@acme.blob.core.windows.net/models", "credentials in the URL"],
  ["https://", "not a valid URL"],
  ["azblob://", "not a valid container name"],
  ["azblob://Models", "not a valid container name"],
  ["azblob://models/sub", "expected azblob://<container>"],
  ["azblob://models:443", "expected azblob://<container>"],
  ["azblob://models?sig=c2VjcmV0", "query string"],
  ["s3://bucket/models", 'unsupported scheme "s3:"'],
  ["file://otherhost/srv/models", "must name a local path"],
];

for (const [input, fragment] of BAD) {
  Deno.test(`parseStoreUrl() refuses ${JSON.stringify(input)}`, () => {
    assert.throws(
      () => parseStoreUrl(input),
      (err: unknown) => {
        assert.ok(err instanceof InvalidInput, `expected InvalidInput, got ${err}`);
        assert.equal(err.code, "invalid_input");
        assert.ok(err.message.includes(fragment), err.message);
        // Credentials in the input never reach the message.
        assert.ok(!err.message.includes("c2VjcmV0"), err.message);
        assert.ok(!err.message.includes("p4ss"), err.message);
        return true;
      },
    );
  });
}

Deno.test("isLoopbackHost() accepts only loopback names and addresses", () => {
  const cases: [string, boolean][] = [
    ["localhost", true],
    ["LOCALHOST.", true],
    ["vault.localhost", true],
    ["127.0.0.1", true],
    ["127.255.1.9", true],
    ["[::1]", true],
    ["127.0.0.256", false],
    ["128.0.0.1", false],
    ["10.0.0.1", false],
    ["localhost.example.com", false],
    ["acme.blob.core.windows.net", false],
  ];
  for (const [host, expected] of cases) assert.equal(isLoopbackHost(host), expected, host);
});
