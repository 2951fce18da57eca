import assert from "node:assert/strict";
import { join } from "node:path";
import {
  BlobServiceClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { ConflictError, InvalidInput, StoreError } from "../../../lib/errors.ts";
import type { BlobBackend } from "../../../lib/store/blob_backend.ts";
import { type BlobRetryOptions, openBlobBackend } from "../../../lib/store/open_blob_backend.ts";
import { DEV_ACCOUNT, type RunningAzurite, startAzurite } from "../../../tasks/local/azurite.ts";
import { runDriver } from "../../support/driver.ts";
import { needsTool } from "../../support/python.ts";
import { hasOpenssl, makeTls } from "../../../tasks/local/tls.ts";
import { startTokenServer } from "../../../tasks/local/token_server.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const FAST: BlobRetryOptions = { maxTries: 2, retryDelayMs: 50 };
const ACCOUNT_KEY_FRAGMENT = "Eby8vdM02xNOcqFl";

/** Runs `fn` with a fresh Azurite and a backend on a container of it (created unless `bare`). */
async function withBackend(
  fn: (backend: BlobBackend, azurite: RunningAzurite) => Promise<void>,
  { bare = false }: { bare?: boolean } = {},
): Promise<void> {
  const azurite = await startAzurite();
  try {
    const backend = openBlobBackend(
      { kind: "blob", auth: "connection-string", container: "models" },
      { connectionString: azurite.connectionString, retry: FAST },
    );
    if (!bare) await backend.ensureContainer();
    await fn(backend, azurite);
  } finally {
    await azurite.stop();
  }
}

/** Asserts that `promise` rejects with `type` and returns the error. */
async function rejection<E extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof type, `expected ${type.name}, got ${err}`);
    return err;
  }
  assert.fail(`expected ${type.name}, but it resolved`);
}

Deno.test("BlobBackend puts, gets, lists and deletes objects in Azurite", async () => {
  await withBackend(async (backend, azurite) => {
    assert.equal(backend.location, `${azurite.blobEndpoint}/models`);
    assert.equal(await backend.ensureContainer(), false, "the container already exists");
    const model = enc.encode('{"format":"fluxops.model/v1"}');
    const etag = await backend.put("models/v1/model.json", model);
    assert.match(etag, /^"0x[0-9A-F]+"$/);
    await backend.put("models/v1/report.html", enc.encode("<p>report</p>"));
    await backend.put("models/v2/model.json", enc.encode("{}"));
    await backend.put("aliases/production.json", enc.encode('{"version":"v1"}'));

    const got = await backend.get("models/v1/model.json");
    assert.deepEqual(got, { bytes: model, etag });
    assert.equal(await backend.etag("models/v1/model.json"), etag);
    assert.deepEqual(await backend.list("models/"), [
      "models/v1/model.json",
      "models/v1/report.html",
      "models/v2/model.json",
    ]);
    assert.deepEqual(await backend.list("aliases/"), ["aliases/production.json"]);
    assert.deepEqual(await backend.list("nothing/"), []);

    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const props = await service.getContainerClient("models").getBlobClient("models/v1/model.json")
      .getProperties();
    assert.equal(props.contentType, "application/json");

    assert.equal(await backend.get("models/v9/model.json"), undefined);
    assert.equal(await backend.etag("models/v9/model.json"), undefined);
    await backend.delete("models/v2/model.json");
    await backend.delete("models/v2/model.json"); // deleting a missing key is not an error
    assert.equal(await backend.get("models/v2/model.json"), undefined);
    assert.deepEqual(await backend.list("models/v2/"), []);

    const empty = await backend.put("models/v3/empty.bin", new Uint8Array());
    assert.deepEqual(await backend.get("models/v3/empty.bin"), {
      bytes: new Uint8Array(),
      etag: empty,
    });
  });
});

Deno.test("BlobBackend round-trips a multi-megabyte object byte for byte", async () => {
  await withBackend(async (backend) => {
    const big = new Uint8Array(5 * 1024 * 1024 + 7);
    for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
    const etag = await backend.put("models/big/model.json", big);
    const got = await backend.get("models/big/model.json");
    assert.equal(got?.etag, etag);
    assert.equal(got?.bytes.length, big.length);
    assert.ok(got?.bytes.every((b, i) => b === big[i]));
  });
});

Deno.test("put() with ifNoneMatch '*' twice: the second is a conflict and the first stays", async () => {
  await withBackend(async (backend) => {
    const first = await backend.put("models/v1/model.json", enc.encode("first"), {
      ifNoneMatch: "*",
    });
    const err = await rejection(
      backend.put("models/v1/model.json", enc.encode("second"), { ifNoneMatch: "*" }),
      ConflictError,
    );
    assert.equal(err.code, "conflict");
    assert.match(err.message, /"models\/v1\/model\.json" already exists/);
    const got = await backend.get("models/v1/model.json");
    assert.equal(dec.decode(got?.bytes), "first");
    assert.equal(got?.etag, first);
  });
});

Deno.test("put() with a stale ifMatch is a conflict and leaves the object unchanged", async () => {
  await withBackend(async (backend) => {
    const key = "aliases/production.json";
    const v1 = await backend.put(key, enc.encode('{"version":"v1"}'));
    const v2 = await backend.put(key, enc.encode('{"version":"v2"}'), { ifMatch: v1 });
    assert.notEqual(v2, v1);
    const err = await rejection(
      backend.put(key, enc.encode('{"version":"v3"}'), { ifMatch: v1 }),
      ConflictError,
    );
    assert.equal(err.code, "conflict");
    assert.match(err.message, /changed since it was read/);
    assert.deepEqual(await backend.get(key), { bytes: enc.encode('{"version":"v2"}'), etag: v2 });

    // ifMatch on a key that does not exist cannot hold either.
    await rejection(
      backend.put("aliases/staging.json", enc.encode("{}"), { ifMatch: v2 }),
      ConflictError,
    );
    assert.equal(await backend.get("aliases/staging.json"), undefined);
  });
});

Deno.test("two concurrent ifMatch writers with one ETag: exactly one wins", async () => {
  await withBackend(async (backend) => {
    const key = "aliases/production.json";
    const base = await backend.put(key, enc.encode('{"version":"v0"}'));
    const writers = Array.from({ length: 8 }, (_, i) => `{"version":"v${i + 1}"}`);
    const results = await Promise.allSettled(
      writers.map((body) => backend.put(key, enc.encode(body), { ifMatch: base })),
    );
    const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
    assert.equal(won.length, 1, `winners: ${won}`);
    for (const r of results) {
      if (r.status === "rejected") {
        assert.ok(r.reason instanceof ConflictError, String(r.reason));
      }
    }
    const winner = won[0]!;
    const final = await backend.get(key);
    assert.equal(dec.decode(final?.bytes), writers[winner]);
    assert.equal(final?.etag, (results[winner] as PromiseFulfilledResult<string>).value);
  });
});

Deno.test("a missing container is a StoreError that says so, and is created only on request", async () => {
  await withBackend(async (backend) => {
    for (
      const op of [
        () => backend.get("a.json"),
        () => backend.etag("a.json"),
        () => backend.put("a.json", enc.encode("{}")),
        () => backend.list(""),
        () => backend.delete("a.json"),
      ]
    ) {
      const err = await rejection(op(), StoreError);
      assert.equal(err.code, "store_error");
      assert.match(err.message, /the container does not exist/);
      assert.match(err.message, /\/devstoreaccount1\/models/);
    }
    assert.equal(await backend.ensureContainer(), true);
    assert.equal(await backend.get("a.json"), undefined);
  }, { bare: true });
});

Deno.test("invalid keys are refused before any request", async () => {
  await withBackend(async (backend) => {
    for (const key of ["", "/abs.json", "a//b.json", "../escape.json", "a/./b", "a\\b.json"]) {
      const err = await rejection(backend.put(key, enc.encode("x")), InvalidInput);
      assert.equal(err.code, "invalid_input");
      await rejection(backend.get(key), InvalidInput);
    }
    assert.deepEqual(await backend.list(""), []);
  });
});

Deno.test("a stopped store fails fast with a StoreError naming the container, not the key", async () => {
  await withBackend(async (backend, azurite) => {
    await backend.put("aliases/production.json", enc.encode("{}"));
    await azurite.stop();
    for (
      const op of [
        () => backend.get("aliases/production.json"),
        () => backend.etag("aliases/production.json"),
        () => backend.put("models/v1/model.json", enc.encode("{}"), { ifNoneMatch: "*" }),
        () => backend.list("models/"),
        () => backend.delete("models/v1/model.json"),
        () => backend.ensureContainer(),
      ]
    ) {
      const started = performance.now();
      const err = await rejection(op(), StoreError);
      const ms = performance.now() - started;
      assert.ok(ms < 5_000, `took ${ms} ms`);
      assert.match(err.message, /cannot reach the store \(ECONNREFUSED\)/);
      assert.ok(err.message.includes(`blob store ${azurite.blobEndpoint}/models:`), err.message);
      assert.ok(!err.message.includes(ACCOUNT_KEY_FRAGMENT), err.message);
      assert.ok(!err.message.includes("AccountKey"), err.message);
    }
  });
});

Deno.test("a store that accepts connections but never answers times out as a StoreError", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    const port = listener.addr.port;
    const backend = openBlobBackend(
      { kind: "blob", auth: "connection-string", container: "models" },
      {
        connectionString: "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
          `AccountKey=${
            btoa("not-a-real-key")
          };BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`,
        retry: { maxTries: 2, retryDelayMs: 50 },
        timeoutMs: 500,
      },
    );
    const started = performance.now();
    const err = await rejection(backend.get("aliases/production.json"), StoreError);
    const ms = performance.now() - started;
    assert.ok(ms < 5_000, `took ${ms} ms`);
    assert.match(
      err.message,
      /reading "aliases\/production\.json" failed: no answer within 500 ms/,
    );
    assert.ok(!err.message.includes(btoa("not-a-real-key")), err.message);
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const conn of held) conn.close();
  }
});

Deno.test("openBlobBackend() refuses a missing, malformed or non-loopback-http connection string", () => {
  const location = { kind: "blob", auth: "connection-string", container: "models" } as const;
  const secret = btoa("super-secret-account-key");
  const cases: [string | undefined, RegExp][] = [
    [undefined, /needs AZURE_STORAGE_CONNECTION_STRING.*it is not set/],
    ["   ", /needs AZURE_STORAGE_CONNECTION_STRING/],
    [`AccountKey=${secret};garbage`, /not a valid storage connection string/],
    [
      `DefaultEndpointsProtocol=http;AccountName=acme;AccountKey=${secret};` +
      "BlobEndpoint=http://acme.example.com/acme;",
      /points at http:\/\/acme\.example\.com; plain http is only allowed to a loopback Azurite/,
    ],
  ];
  for (const [connectionString, message] of cases) {
    assert.throws(
      () => openBlobBackend(location, connectionString === undefined ? {} : { connectionString }),
      (err: unknown) => {
        assert.ok(err instanceof InvalidInput, String(err));
        assert.match(err.message, message);
        assert.ok(!err.message.includes(secret), err.message);
        return true;
      },
    );
  }
});

Deno.test("openBlobBackend() names an https container by its URL, with no credential in it", () => {
  const backend = openBlobBackend(
    {
      kind: "blob",
      auth: "default-credential",
      url: "https://acme.blob.core.windows.net/models",
      account: "acme",
      container: "models",
    },
    { credential: { getToken: () => Promise.resolve(null) } },
  );
  assert.equal(backend.location, "https://acme.blob.core.windows.net/models");
});

const openssl = hasOpenssl();

Deno.test({
  name: "DefaultAzureCredential reaches Azurite over HTTPS with a managed-identity token",
  ...needsTool(openssl, "openssl (for the HTTPS Azurite test)"),
  async fn() {
    const tls = await makeTls();
    const tokens = startTokenServer();
    const azurite = await startAzurite({ https: { cert: tls.cert, key: tls.key }, oauth: true });
    try {
      const driver = join(import.meta.dirname!, "blob_identity_driver.ts");
      const store = `${azurite.blobEndpoint}/models`;
      const run = await runDriver<Record<string, unknown>>(driver, [store], {
        NODE_EXTRA_CA_CERTS: tls.caCert,
        ...tokens.env(),
      });
      const { ms: _ms, ...result } = run.result;
      assert.deepEqual(result, {
        ok: true,
        created: true,
        location: store,
        etagMatches: true,
        text: '{"hello":"identity"}',
        keys: ["models/v1/model.json"],
        conflict: "conflict",
      }, run.stderr);
      assert.ok(tokens.requests.length >= 1);
      for (const r of tokens.requests) {
        assert.equal(r.identityHeader, tokens.identityHeader);
        assert.equal(r.apiVersion, "2019-08-01");
        assert.equal(r.resource, "https://storage.azure.com");
        assert.equal(r.status, 200);
      }

      // A wrong IDENTITY_HEADER: the endpoint refuses, and the store reports a token failure.
      const denied = await runDriver<Record<string, unknown>>(driver, [store], {
        NODE_EXTRA_CA_CERTS: tls.caCert,
        ...tokens.env(),
        IDENTITY_HEADER: "wrong",
      });
      assert.equal(denied.result.ok, false, JSON.stringify(denied.result));
      assert.equal(denied.result.code, "store_error");
      assert.match(String(denied.result.message), /could not get an access token/);
      // The operation's time, not the driver process's (its start varies with the machine's load).
      assert.ok(Number(denied.result.ms) < 30_000, `took ${denied.result.ms} ms`);
      assert.ok(tokens.requests.some((r) => r.identityHeader === "wrong" && r.status === 401));

      // A token for another audience: Azurite refuses it, and the store says access was denied.
      const wrongAudience = startTokenServer({ audience: "https://management.azure.com" });
      try {
        const refused = await runDriver<Record<string, unknown>>(driver, [store], {
          NODE_EXTRA_CA_CERTS: tls.caCert,
          ...wrongAudience.env(),
        });
        assert.equal(refused.result.ok, false, JSON.stringify(refused.result));
        assert.match(
          String(refused.result.message),
          /creating the container failed: access denied \(HTTP 40[13] AuthenticationFailed\)/,
        );
      } finally {
        await wrongAudience.stop();
      }

      // Without the CA, the client refuses Azurite's certificate.
      const untrusted = await runDriver<Record<string, unknown>>(driver, [store], tokens.env());
      assert.equal(untrusted.result.ok, false, JSON.stringify(untrusted.result));
      assert.equal(untrusted.result.code, "store_error");
      assert.match(String(untrusted.result.message), /TLS certificate is not trusted/);
    } finally {
      await azurite.stop();
      await tokens.stop();
      await tls.cleanup();
    }
  },
});

Deno.test("BlobBackend waits out a role assignment that has not taken effect (403 AuthorizationPermissionMismatch), then publishes and reads", async () => {
  const azurite = await startAzurite({ rbacDelayMs: 1_200 });
  try {
    const lines: string[] = [];
    const backend = openBlobBackend(
      { kind: "blob", auth: "connection-string", container: "models" },
      {
        connectionString: azurite.connectionString,
        retry: FAST,
        roleWait: { waitMs: 20_000, delayMs: 100, log: (l) => lines.push(l) },
      },
    );
    const started = Date.now();
    await backend.ensureContainer();
    await backend.put("models/v1/model.json", enc.encode("{}"), { ifNoneMatch: "*" });
    assert.equal(dec.decode((await backend.get("models/v1/model.json"))!.bytes), "{}");
    assert.ok(Date.now() - started >= 1_000, "it did wait");
    assert.ok(azurite.rbac!.refused >= 2, `${azurite.rbac!.refused} refused`);
    assert.equal(lines.length, 2, lines.join("\n"));
    assert.equal(
      lines[0],
      `waiting for the role assignment on blob container ${azurite.blobEndpoint}/models to take ` +
        "effect (403 AuthorizationPermissionMismatch), retrying for up to 20 s " +
        "(FLUXOPS_RBAC_WAIT_SECONDS)",
    );
    assert.match(lines[1]!, /took effect after \d+\.\d s/);
  } finally {
    await azurite.stop();
  }
});

Deno.test("a role that does not take effect within the wait is a StoreError that says how long it waited", async () => {
  const azurite = await startAzurite({ rbacDelayMs: 60_000 });
  try {
    const backend = openBlobBackend(
      { kind: "blob", auth: "connection-string", container: "models" },
      {
        connectionString: azurite.connectionString,
        retry: FAST,
        roleWait: { waitMs: 600, delayMs: 100, log: () => {} },
      },
    );
    const err = await rejection(backend.list("models/"), StoreError);
    assert.equal(
      err.message,
      `blob store ${azurite.blobEndpoint}/models: listing "models/" failed: access denied ` +
        "(HTTP 403 AuthorizationPermissionMismatch, still after waiting 1 s); the identity needs " +
        'the "Storage Blob Data Contributor" role on the container',
    );
    assert.ok(!err.message.includes(ACCOUNT_KEY_FRAGMENT));
  } finally {
    await azurite.stop();
  }
});

Deno.test("the Blob stand-in's 403 is Azure's: AuthorizationPermissionMismatch in the header and the XML body", async () => {
  const azurite = await startAzurite({ rbacDelayMs: 60_000 });
  try {
    const res = await fetch(`${azurite.blobEndpoint}/models?restype=container`);
    assert.equal(res.status, 403);
    assert.equal(res.headers.get("x-ms-error-code"), "AuthorizationPermissionMismatch");
    const body = await res.text();
    assert.match(body, /^<\?xml version="1\.0" encoding="utf-8"\?><Error>/);
    assert.match(body, /<Code>AuthorizationPermissionMismatch<\/Code>/);
    assert.match(
      body,
      /<Message>This request is not authorized to perform this operation using this permission\.\nRequestId:[0-9a-f-]{36}\nTime:/,
    );
    // After a grant's window the proxy passes requests through to Azurite unchanged.
    azurite.rbac!.grantRole(0);
    const client = BlobServiceClient.fromConnectionString(azurite.connectionString);
    await client.getContainerClient("models").create();
    assert.ok(await client.getContainerClient("models").exists());
  } finally {
    await azurite.stop();
  }
});

Deno.test("a SAS without write permission is refused at once: its 403 AuthorizationPermissionMismatch is not a role in flight", async () => {
  await withBackend(async (_backend, azurite) => {
    const key = /AccountKey=([^;]+)/.exec(azurite.connectionString)![1]!;
    const sas = generateBlobSASQueryParameters({
      containerName: "models",
      permissions: ContainerSASPermissions.parse("rl"),
      expiresOn: new Date(Date.now() + 3600_000),
    }, new StorageSharedKeyCredential(DEV_ACCOUNT, key)).toString();
    const lines: string[] = [];
    const readOnly = openBlobBackend(
      { kind: "blob", auth: "connection-string", container: "models" },
      {
        connectionString: `BlobEndpoint=${azurite.blobEndpoint};SharedAccessSignature=${sas}`,
        retry: FAST,
        roleWait: { waitMs: 60_000, delayMs: 100, log: (l) => lines.push(l) },
      },
    );
    const started = Date.now();
    const err = await rejection(readOnly.put("models/v1/model.json", enc.encode("{}")), StoreError);
    assert.match(err.message, /HTTP 403 AuthorizationPermissionMismatch\); the SAS token must/);
    assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms`);
    assert.deepEqual(lines, []);
  });
});
