/**
 * Secrets never leave the packaged function: it runs with known secret values configured (a
 * model-signing key from the environment or a key file, a Blob Storage connection string with an
 * account key or a SAS signature), healthy and in every failure those secrets can cause, while
 * every route is driven, error paths included, and then it is stopped with SIGTERM. No secret,
 * nor its base64, hex or URL-encoded form, nor a prefix of it, may appear in stdout, stderr, a
 * response body or a response header.
 */
import { defaultBodyLimit } from "../../function/serving/body_limit.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { DEV_ACCOUNT, type RunningAzurite, startAzurite } from "../../tasks/local/azurite.ts";
import { withTempDir } from "../support/fixtures.ts";
import { modelFolder, smallModel, smallModelJson } from "../support/models.ts";
import { azuriteRegistry } from "../support/registry.ts";
import { type RunningPackage, startPackage } from "../support/package.ts";
import { WAIT_LIMIT_MS } from "../support/wait.ts";

const N_FEATURES = 4;
/** One byte over the body limit the function derives for a model of N_FEATURES features. */
const OVER_BODY_LIMIT =
  defaultBodyLimit(smallModel({ nFeatures: N_FEATURES }).featureNames, 10_000) + 1;
const enc = new TextEncoder();

/** A fresh random secret of `bytes` random bytes, base64: distinctive, never in the source. */
const randomSecret = (bytes = 32) => crypto.getRandomValues(new Uint8Array(bytes)).toBase64();

/** The forms a leaked secret could take in a log line, a message or a header. */
function leakForms(secret: string): string[] {
  const bytes = enc.encode(secret);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const forms = [
    secret,
    encodeURIComponent(secret),
    bytes.toBase64(),
    bytes.toBase64({ alphabet: "base64url", omitPadding: true }),
    hex,
    // A truncated secret is still a leak ("key abc123...").
    secret.slice(0, 12),
  ];
  try {
    forms.push(decodeURIComponent(secret));
  } catch { /* not URL-encoded */ }
  return [...new Set(forms)];
}

/** Everything the function said: its output and every response, headers included. */
class Transcript {
  readonly parts: string[] = [];

  /** Sends a request and records the response. */
  async call(
    pkg: RunningPackage,
    path: string,
    init: RequestInit = {},
  ): Promise<{ status: number; body: string }> {
    const res = await fetch(`${pkg.url}${path}`, init);
    const body = await res.text();
    this.parts.push(`${init.method ?? "GET"} ${path} -> ${res.status}`);
    for (const [k, v] of res.headers) this.parts.push(`${k}: ${v}`);
    this.parts.push(body);
    return { status: res.status, body };
  }

  /** Asserts no form of any secret appears in the responses nor in the package's output. */
  assertClean(pkg: RunningPackage, secrets: Record<string, string>): void {
    const streams = {
      stdout: pkg.stdout(),
      stderr: pkg.stderr(),
      responses: this.parts.join("\n"),
    };
    for (const [name, secret] of Object.entries(secrets)) {
      for (const form of leakForms(secret)) {
        for (const [where, text] of Object.entries(streams)) {
          assert.ok(
            !text.includes(form),
            `${name} leaked into ${where} (as ${form.slice(0, 4)}...)`,
          );
        }
      }
    }
  }
}

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

/** Drives every route, with good and bad requests; returns the status of each call. */
async function driveEveryRoute(pkg: RunningPackage, t: Transcript): Promise<Map<string, number>> {
  const row = Array.from({ length: N_FEATURES }, (_, i) => i / 3);
  const calls: [string, string, RequestInit?][] = [
    ["health", "/api/health"],
    ["model-info", "/api/model-info"],
    ["openapi", "/api/openapi.json"],
    ["predict", "/api/predict", json({ features: row })],
    ["predict batch", "/api/predict", json({ instances: [row, row] })],
    ["predict bad JSON", "/api/predict", json("{not json")],
    ["predict bad shape", "/api/predict", json({ features: [1] })],
    ["predict unknown field", "/api/predict", json({ features: row, token: "x" })],
    // Over the body limit the handler derives for this model (function/serving/body_limit.ts).
    ["predict 413", "/api/predict", json({ features: row, pad: " ".repeat(OVER_BODY_LIMIT) })],
    ["predict 415", "/api/predict", {
      method: "POST",
      body: "features=1",
      headers: { "content-type": "text/plain" },
    }],
    ["predict 405", "/api/predict"],
    ["health 405", "/api/health", { method: "DELETE" }],
    // The Functions host checks keys before the handler; a bad key or token must change nothing.
    [
      "bad function key",
      "/api/predict",
      json({ features: row }, { "x-functions-key": "wrong-key" }),
    ],
    ["bad bearer token", "/api/model-info", { headers: { authorization: "Bearer not.a.jwt" } }],
    ["404", "/api/nope"],
    ["root 404", "/"],
    ["v2 server", "/v2"],
    ["v2 live", "/v2/health/live"],
    ["v2 ready", "/v2/health/ready"],
    ["v2 metadata", "/v2/models/fluxops"],
    ["v2 model ready", "/v2/models/fluxops/ready"],
    ["v2 wrong model", "/v2/models/other"],
    ["v2 wrong version", "/v2/models/fluxops/versions/0/ready"],
    [
      "v2 infer",
      "/v2/models/fluxops/infer",
      json({ inputs: [{ name: "x", datatype: "FP64", shape: [1, N_FEATURES], data: row }] }),
    ],
    ["v2 infer wrong model", "/v2/models/other/infer", json({ inputs: [] })],
    ["v2 infer bad", "/v2/models/fluxops/infer", json({ inputs: [{ name: 1 }] })],
    ["v2 infer 405", "/v2/models/fluxops/infer"],
  ];
  const statuses = new Map<string, number>();
  for (const [name, path, init] of calls) {
    statuses.set(name, (await t.call(pkg, path, init)).status);
  }
  return statuses;
}

/** Polls `/api/health` until `ok` holds of its JSON body (or 10 s pass); returns the body. */
async function healthWhen(
  pkg: RunningPackage,
  ok: (status: number, body: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + WAIT_LIMIT_MS; // a hang guard, not a claim
  for (;;) {
    const res = await fetch(`${pkg.url}/api/health`);
    const body = await res.json();
    if (ok(res.status, body) || Date.now() > deadline) return body;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Publishes a model signed with `key` to the `models` container and promotes it. */
async function publishSigned(azurite: RunningAzurite, key: string): Promise<string> {
  const registry = await azuriteRegistry(azurite.connectionString);
  const files = modelFolder(smallModelJson({ nFeatures: N_FEATURES }), {
    key: enc.encode(key),
    keyId: "env",
  });
  const { version } = await registry.publish(files);
  await registry.promote(version);
  return version;
}

/** The account key in Azurite's connection string. */
function accountKey(azurite: RunningAzurite): string {
  return /AccountKey=([^;]+)/.exec(azurite.connectionString)![1]!;
}

/** A connection string with a container SAS for `models`, signed with `key`. */
function sasConnectionString(azurite: RunningAzurite, key: string): { conn: string; sig: string } {
  const sas = generateBlobSASQueryParameters({
    containerName: "models",
    permissions: ContainerSASPermissions.parse("rl"),
    startsOn: new Date(Date.now() - 60_000),
    expiresOn: new Date(Date.now() + 3_600_000),
  }, new StorageSharedKeyCredential(DEV_ACCOUNT, key)).toString();
  const sig = new URLSearchParams(sas).get("sig")!;
  return { conn: `BlobEndpoint=${azurite.blobEndpoint};SharedAccessSignature=${sas}`, sig };
}

/** Runs the package with `env`, waits for `ready`, drives every route, stops it, checks leaks. */
async function runAndCheck(
  env: Record<string, string>,
  secrets: Record<string, string>,
  ready: (status: number, body: Record<string, unknown>) => boolean,
): Promise<{ health: Record<string, unknown>; statuses: Map<string, number> }> {
  const pkg = await startPackage({ env: { FLUXOPS_POLL_SECONDS: "0.2", ...env } });
  const t = new Transcript();
  let health: Record<string, unknown>;
  let statuses: Map<string, number>;
  try {
    health = await healthWhen(pkg, ready);
    statuses = await driveEveryRoute(pkg, t);
  } finally {
    const status = await pkg.stop();
    assert.equal(status.code, 0, `exit ${status.code} after SIGTERM: ${pkg.stderr()}`);
  }
  assert.ok(pkg.stdout().includes('"msg":"stopped"'), "the function logged its shutdown");
  t.assertClean(pkg, secrets);
  for (const [name, status] of statuses) {
    assert.ok(status < 500 || status === 503, `${name}: ${status}`);
  }
  return { health, statuses };
}

Deno.test("no secret leaves the function: SAS connection string and signing key, healthy", async () => {
  const azurite = await startAzurite();
  try {
    const signingKey = randomSecret();
    const version = await publishSigned(azurite, signingKey);
    const { conn, sig } = sasConnectionString(azurite, accountKey(azurite));
    const { health, statuses } = await runAndCheck(
      {
        FLUXOPS_STORE: "azblob://models",
        AZURE_STORAGE_CONNECTION_STRING: conn,
        FLUXOPS_SIGNING_KEY: signingKey,
      },
      {
        "the signing key": signingKey,
        "the SAS signature": sig,
        "the SAS connection string": conn,
      },
      (status) => status === 200,
    );
    // The secrets were in use: the signed model came through the SAS and was verified.
    assert.equal(health.model_version, version);
    assert.equal(statuses.get("predict"), 200);
    assert.equal(statuses.get("v2 infer"), 200);
    for (
      const [name, want] of [["predict 413", 413], ["predict 415", 415], ["404", 404]] as const
    ) {
      assert.equal(statuses.get(name), want, name);
    }
  } finally {
    await azurite.stop();
  }
});

Deno.test("no secret leaves the function: account key and a key file that rejects the model", async () => {
  const azurite = await startAzurite();
  try {
    await withTempDir(async (dir) => {
      await publishSigned(azurite, randomSecret());
      const fileKey = randomSecret();
      const keyFile = join(dir, "signing.key");
      await Deno.writeTextFile(keyFile, `${fileKey}\n`);
      const { health, statuses } = await runAndCheck(
        {
          FLUXOPS_STORE: "azblob://models",
          AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
          FLUXOPS_SIGNING_KEY_FILE: keyFile,
        },
        { "the signing key file's key": fileKey, "the account key": accountKey(azurite) },
        (_, body) => typeof body.reason === "string" && /signature/.test(body.reason as string),
      );
      // The key file was read and used: the model signed with another key is refused.
      assert.equal(health.status, "unhealthy");
      assert.match(health.reason as string, /signature/);
      assert.equal(statuses.get("predict"), 503);
    });
  } finally {
    await azurite.stop();
  }
});

Deno.test("no secret leaves the function: a SAS signed with the wrong key is refused by the store", async () => {
  const azurite = await startAzurite();
  try {
    await publishSigned(azurite, randomSecret());
    const wrongKey = randomSecret(64);
    const { conn, sig } = sasConnectionString(azurite, wrongKey);
    const { health } = await runAndCheck(
      { FLUXOPS_STORE: "azblob://models", AZURE_STORAGE_CONNECTION_STRING: conn },
      { "the SAS signature": sig, "the key that signed it": wrongKey },
      (_, body) => typeof (body.store as { last_error?: unknown })?.last_error === "string",
    );
    // Azurite refused the forged signature: the store error is reported, redacted.
    const store = health.store as { last_error: string; reachable: boolean };
    assert.equal(health.status, "unhealthy");
    assert.match(store.last_error, /403|AuthenticationFailed|Authorization/i);
  } finally {
    await azurite.stop();
  }
});

Deno.test("the leak check is not blind: a value the function echoes is caught in every stream", async () => {
  // The function echoes a client's x-request-id in the response header and its log line; a
  // "secret" sent that way must be reported as leaked there.
  const secret = Array.from(
    crypto.getRandomValues(new Uint8Array(16)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  const pkg = await startPackage({});
  const t = new Transcript();
  try {
    await t.call(pkg, "/api/health", { headers: { "x-request-id": secret } });
  } finally {
    await pkg.stop();
  }
  assert.throws(() => t.assertClean(pkg, { "the echoed value": secret }), /leaked into stdout/);
  assert.throws(
    () => new Transcript().assertClean(pkg, { "the echoed value": secret }),
    /leaked into stdout/,
  );
  const quiet = { stdout: () => "", stderr: () => "" } as unknown as RunningPackage;
  assert.throws(
    () => t.assertClean(quiet, { "the echoed value": secret }),
    /leaked into responses/,
  );
});
