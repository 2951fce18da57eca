/**
 * The custom-handler package over real HTTP, started as the Azure Functions host starts it:
 * `bin/launch` (which runs `bin/deno`) with the arguments of `host.json`, in the package folder,
 * with `FUNCTIONS_CUSTOMHANDLER_PORT` and the `FLUXOPS_MODEL` app setting.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { BlobServiceClient } from "@azure/storage-blob";
import { startAzurite } from "../../tasks/local/azurite.ts";
import { startKeyVaultServer } from "../../tasks/local/key_vault_server.ts";
import { hasOpenssl, makeTls } from "../../tasks/local/tls.ts";
import { startTokenServer } from "../../tasks/local/token_server.ts";
import { modelFolder, smallModelJson } from "../support/models.ts";
import { azuriteRegistry } from "../support/registry.ts";
import { needsTool } from "../support/python.ts";
import { listDir, withTempDir } from "../support/fixtures.ts";
import {
  ensurePackage,
  type RunningPackage,
  startPackage,
  trainModel,
} from "../support/package.ts";

interface ModelFacts {
  path: string;
  version: string;
  features: string[];
  classes: (string | number)[];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Trains a model, starts the package on it, runs `fn`, stops the package. */
async function withPackage(
  fn: (pkg: RunningPackage, model: ModelFacts) => Promise<void>,
  opts: { wrap?: string[]; denoDir?: string } = {},
): Promise<void> {
  await withTempDir(async (dir) => {
    const path = await trainModel(dir);
    const doc = JSON.parse(await Deno.readTextFile(path));
    const model: ModelFacts = {
      path,
      version: doc.version,
      features: doc.features.map((f: { name: string }) => f.name),
      classes: doc.classes,
    };
    const pkg = await startPackage({ model: path, ...opts });
    try {
      await fn(pkg, model);
    } finally {
      await pkg.stop();
    }
  });
}

async function call(
  pkg: RunningPackage,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: ReturnType<typeof JSON.parse> }> {
  const res = await fetch(`${pkg.url}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: {
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      ...init.headers,
    },
    ...(init.body === undefined
      ? {}
      : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
  });
  const text = await res.text();
  assert.match(res.headers.get("x-request-id") ?? "", REQUEST_ID, `${path}: x-request-id`);
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

function row(n: number, shift = 0): number[] {
  return Array.from({ length: n }, (_, i) => ((i * 7 + shift) % 5) - 2);
}

function assertProbabilities(p: Record<string, number>, classes: (string | number)[]): void {
  assert.deepEqual(Object.keys(p), classes.map(String));
  const sum = Object.values(p).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-9, `probabilities sum to ${sum}`);
}

const canUnshare = await new Deno.Command("unshare", {
  args: ["-m", "--propagation", "private", "true"],
  stdout: "null",
  stderr: "null",
}).output().then((r) => r.success, () => false);

Deno.test("the package starts as the Functions host starts it and reports its model on /api/health", async () => {
  await ensurePackage();
  await withPackage(async (pkg, model) => {
    const res = await call(pkg, "/api/health");
    assert.equal(res.status, 200);
    assert.equal(res.body.status, "healthy");
    assert.equal(res.body.model_version, model.version);
    assert.equal(typeof res.body.uptime_s, "number");
  });
});

Deno.test("the package predicts one row by array and by name, and a batch", async () => {
  await withPackage(async (pkg, model) => {
    const p = model.features.length;
    const one = await call(pkg, "/api/predict", { body: { features: row(p) } });
    assert.equal(one.status, 200);
    assert.equal(one.body.model_version, model.version);
    assert.ok(model.classes.includes(one.body.prediction), String(one.body.prediction));
    assertProbabilities(one.body.probabilities, model.classes);

    const byName = Object.fromEntries(model.features.map((n, i) => [n, row(p)[i]]).reverse());
    const named = await call(pkg, "/api/predict", { body: { features: byName } });
    assert.equal(named.status, 200);
    assert.deepEqual(named.body, one.body);

    const rows = [row(p), row(p, 1), row(p, 2)];
    const batch = await call(pkg, "/api/predict", { body: { instances: rows } });
    assert.equal(batch.status, 200);
    assert.equal(batch.body.model_version, model.version);
    assert.deepEqual(batch.body.classes, model.classes);
    assert.equal(batch.body.predictions.length, 3);
    assert.equal(batch.body.predictions[0], one.body.prediction);
    assert.equal(batch.body.probabilities.length, 3);
    for (const r of batch.body.probabilities) assert.equal(r.length, model.classes.length);
  });
});

Deno.test("the package serves model-info and an OpenAPI 3.1 document", async () => {
  await withPackage(async (pkg, model) => {
    const info = await call(pkg, "/api/model-info");
    assert.equal(info.status, 200);
    assert.equal(info.body.version, model.version);
    assert.deepEqual(info.body.classes, model.classes);
    assert.deepEqual(info.body.features.map((f: { name: string }) => f.name), model.features);
    for (const key of ["created_at", "target", "params", "metrics", "engine", "sha256"]) {
      assert.ok(key in info.body, key);
    }
    const doc = await call(pkg, "/api/openapi.json");
    assert.equal(doc.status, 200);
    assert.match(doc.body.openapi, /^3\.1\./);
    for (const path of ["/api/health", "/api/predict", "/api/model-info"]) {
      assert.ok(path in doc.body.paths, path);
    }
  });
});

Deno.test("the package serves the Open Inference Protocol: server, health, metadata and infer", async () => {
  await withPackage(async (pkg, model) => {
    const p = model.features.length;
    const server = await call(pkg, "/v2");
    assert.equal(server.status, 200);
    assert.equal(typeof server.body.name, "string");
    assert.deepEqual((await call(pkg, "/v2/health/live")).body, { live: true });
    const ready = await call(pkg, "/v2/health/ready");
    assert.deepEqual([ready.status, ready.body], [200, { ready: true }]);
    const modelReady = await call(pkg, "/v2/models/fluxops/ready");
    assert.equal(modelReady.status, 200);

    const meta = await call(pkg, "/v2/models/fluxops");
    assert.equal(meta.status, 200);
    assert.equal(meta.body.name, "fluxops");
    assert.deepEqual(meta.body.versions, [model.version]);
    assert.deepEqual(meta.body.inputs[0].shape, [-1, p]);

    const infer = await call(pkg, "/v2/models/fluxops/infer", {
      body: {
        id: "r1",
        inputs: [{ name: "input", datatype: "FP64", shape: [2, p], data: [row(p), row(p, 1)] }],
      },
    });
    assert.equal(infer.status, 200);
    assert.equal(infer.body.id, "r1");
    assert.equal(infer.body.model_name, "fluxops");
    const out = Object.fromEntries(
      infer.body.outputs.map((o: { name: string }) => [o.name, o]),
    );
    assert.deepEqual(out.label.shape, [2]);
    assert.deepEqual(out.probabilities.shape, [2, model.classes.length]);
    assert.equal(out.probabilities.data.length, 2 * model.classes.length);
  });
});

Deno.test("the package answers bad input 400, an unknown route 404 and a wrong method 405 with Allow", async () => {
  await withPackage(async (pkg, model) => {
    const bad = await call(pkg, "/api/predict", {
      body: { instances: [row(model.features.length), ["abc"]] },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "invalid_input");
    assert.match(bad.body.error.message, /instances\[1\]/);

    const notJson = await call(pkg, "/api/predict", { body: "{not json" });
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.error.code, "invalid_input");

    const v2bad = await call(pkg, "/v2/models/fluxops/infer", { body: { inputs: [] } });
    assert.equal(v2bad.status, 400);
    assert.equal(typeof v2bad.body.error, "string");

    const unknown = await call(pkg, "/api/nope");
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, "not_found");

    const wrong = await call(pkg, "/api/predict", { method: "GET" });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "POST");
    assert.equal(wrong.body.error.code, "method_not_allowed");

    const echoed = await call(pkg, "/api/health", { headers: { "x-request-id": "trace-42" } });
    assert.equal(echoed.headers.get("x-request-id"), "trace-42");
  });
});

Deno.test("the package drains on SIGTERM, exits 0 and logs one JSON line per request without feature values", async () => {
  await withTempDir(async (dir) => {
    const path = await trainModel(dir);
    const pkg = await startPackage({ model: path });
    // Distinctive values, so a timing or size in the log cannot match one by chance.
    const features = [
      1.2571,
      -3.5319,
      7.7537,
      0.1253,
      2.5471,
      -1.7589,
      4.5137,
      9.2593,
      -6.5171,
      3.1259,
    ];
    const res = await fetch(`${pkg.url}/api/predict`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "drain-1" },
      body: JSON.stringify({ features }),
    });
    await res.body?.cancel();
    const status = await pkg.stop();
    assert.equal(status.code, 0, pkg.stderr());
    const lines = pkg.stdout().trim().split("\n").map((l) => JSON.parse(l));
    const request = lines.find((l) => l.request_id === "drain-1");
    assert.equal(request?.route, "/api/predict");
    assert.equal(request?.status, 200);
    for (const v of features) assert.ok(!pkg.stdout().includes(String(v)), `${v} logged`);
    assert.equal(pkg.stderr(), "");
  });
});

Deno.test({
  name: "the package runs from a read-only app folder with a read-only, empty DENO_DIR",
  ignore: !canUnshare,
  fn: async () => {
    const { out } = await ensurePackage();
    await withTempDir(async (denoDir) => {
      // Run-from-package mounts the app read-only; here a private mount namespace does.
      const script = 'for d in "$1" "$2"; do mount --bind "$d" "$d" && ' +
        'mount -o remount,bind,ro "$d" || exit 97; done; shift 2; exec "$@"';
      const wrap = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh"];
      await withPackage(async (pkg, model) => {
        const res = await call(pkg, "/api/predict", {
          body: { features: row(model.features.length) },
        });
        assert.equal(res.status, 200);
      }, { wrap: [...wrap, out, denoDir], denoDir });
      assert.deepEqual(await listDir(denoDir), []);
    });
  },
});

Deno.test("the package without a model is live but unhealthy, and predicts nothing", async () => {
  // No FLUXOPS_MODEL: the handler follows the local registry, which the package does not have.
  const pkg = await startPackage({});
  try {
    const health = await call(pkg, "/api/health");
    assert.equal(health.status, 503);
    assert.equal(health.body.status, "unhealthy");
    assert.equal(typeof health.body.reason, "string");
    assert.equal((await call(pkg, "/v2/health/live")).status, 200);
    assert.equal((await call(pkg, "/v2/health/ready")).status, 503);
    const predict = await call(pkg, "/api/predict", { body: { features: [1, 2] } });
    assert.equal(predict.status, 503);
    assert.equal(predict.body.error.code, "unavailable");
  } finally {
    await pkg.stop();
  }
});

Deno.test("the package follows a model registry in Blob Storage (Azurite) within its permissions", async () => {
  const azurite = await startAzurite();
  try {
    await withTempDir(async (dir) => {
      const conn = azurite.connectionString;
      await BlobServiceClient.fromConnectionString(conn).getContainerClient("models").create();
      const model = await trainModel(dir);
      const publish = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "tasks/model.ts", "publish", dir, "--store", "azblob://models"]
          .concat(["--promote", "production"]),
        cwd: join(import.meta.dirname!, "..", ".."),
        env: { AZURE_STORAGE_CONNECTION_STRING: conn },
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.ok(publish.success, new TextDecoder().decode(publish.stderr));
      const version = JSON.parse(await Deno.readTextFile(model)).version;
      const pkg = await startPackage({
        env: { FLUXOPS_STORE: "azblob://models", AZURE_STORAGE_CONNECTION_STRING: conn },
      });
      try {
        let health = await call(pkg, "/api/health");
        for (let i = 0; i < 100 && health.status !== 200; i++) {
          await new Promise((r) => setTimeout(r, 50));
          health = await call(pkg, "/api/health");
        }
        assert.equal(health.status, 200, JSON.stringify(health.body));
        assert.equal(health.body.model_version, version);
        const res = await call(pkg, "/api/predict", { body: { features: row(10) } });
        assert.equal(res.status, 200);
      } finally {
        await pkg.stop();
      }
      assert.equal(pkg.stderr(), "", "no permission error, no stack trace");
    });
  } finally {
    await azurite.stop();
  }
});

Deno.test({
  name:
    "the package fetches its managed-identity token from wherever IDENTITY_ENDPOINT points (127.0.0.2 here, 169.254.129.x on App Service) and loads a signed model",
  ...needsTool(hasOpenssl(), "openssl (for the HTTPS Key Vault stand-in)"),
  async fn() {
    const tls = await makeTls();
    const tokens = startTokenServer({ hostname: "127.0.0.2" });
    const vault = await startKeyVaultServer({ cert: tls.cert, key: tls.key, rbacDelayMs: 0 });
    const azurite = await startAzurite();
    try {
      const key = "package-identity-test-key-0123456789";
      const keyVersion = vault.setSecret("model-signing-key", key);
      const conn = azurite.connectionString;
      const registry = await azuriteRegistry(conn);
      const keyId = `keyvault:${new URL(vault.url).host}/model-signing-key/${keyVersion}`;
      const { version } = await registry.publish(
        modelFolder(smallModelJson({ nFeatures: 4 }), {
          key: new TextEncoder().encode(key),
          keyId,
        }),
      );
      await registry.promote(version);
      const pkg = await startPackage({
        env: {
          FLUXOPS_STORE: "azblob://models",
          AZURE_STORAGE_CONNECTION_STRING: conn,
          FLUXOPS_KEY_VAULT_URI: vault.url,
          NODE_EXTRA_CA_CERTS: tls.caCert,
          ...tokens.env(),
        },
      });
      try {
        let health = await call(pkg, "/api/health");
        for (let i = 0; i < 200 && health.status !== 200; i++) {
          await new Promise((r) => setTimeout(r, 50));
          health = await call(pkg, "/api/health");
        }
        assert.equal(health.status, 200, `${JSON.stringify(health.body)}\n${pkg.stderr()}`);
        assert.equal(health.body.model_version, version);
      } finally {
        await pkg.stop();
      }
      assert.match(tokens.endpoint, /^http:\/\/127\.0\.0\.2:\d+\/msi\/token$/);
      assert.ok(
        tokens.requests.some((r) => r.status === 200 && r.resource === "https://vault.azure.net"),
        JSON.stringify(tokens.requests),
      );
      assert.ok(vault.requests.some((r) => r.auth === "ok" && r.status === 200));
    } finally {
      await azurite.stop();
      await vault.stop();
      await tokens.stop();
      await tls.cleanup();
    }
  },
});

/** A small model's model.json bytes; `seed` makes a different model (and version). */
function modelBytes(seed: number): Uint8Array {
  return smallModelJson({ nFeatures: 4, seed, params: { seed } });
}

Deno.test({
  name:
    "after two key rotations the package serves models signed by the current or previous key version, so a rollback works, and refuses older ones by name",
  ...needsTool(hasOpenssl(), "openssl (for the HTTPS Key Vault stand-in)"),
  async fn() {
    const tls = await makeTls();
    const tokens = startTokenServer();
    const vault = await startKeyVaultServer({ cert: tls.cert, key: tls.key, rbacDelayMs: 0 });
    const azurite = await startAzurite();
    try {
      const host = new URL(vault.url).host;
      const secret = "model-signing-key";
      // Three versions: v1 (two rotations ago), v2 (previous), v3 (current).
      const keys = ["one", "two", "three"].map((k) => `rotation-${k}-0123456789abcdef`);
      const versions = keys.map((k) => vault.setSecret(secret, k));
      const registry = await azuriteRegistry(azurite.connectionString);
      const publish = async (seed: number, keyIndex: number) =>
        (await registry.publish(modelFolder(modelBytes(seed), {
          key: new TextEncoder().encode(keys[keyIndex]!),
          keyId: `keyvault:${host}/${secret}/${versions[keyIndex]}`,
        }))).version;
      const byPrevious = await publish(1, 1);
      const byCurrent = await publish(2, 2);
      const byOldest = await publish(3, 0);
      await registry.promote(byPrevious);
      await registry.promote(byCurrent);
      const pkg = await startPackage({
        env: {
          FLUXOPS_STORE: "azblob://models",
          AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
          FLUXOPS_KEY_VAULT_URI: vault.url,
          FLUXOPS_POLL_SECONDS: "1",
          NODE_EXTRA_CA_CERTS: tls.caCert,
          ...tokens.env(),
        },
      });
      const healthWhen = async (ok: (body: Record<string, unknown>) => boolean) => {
        let body: Record<string, unknown> = {};
        for (let i = 0; i < 300; i++) {
          body = (await call(pkg, "/api/health")).body;
          if (ok(body)) return body;
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.fail(`health never matched: ${JSON.stringify(body)}\n${pkg.stderr()}`);
      };
      try {
        await healthWhen((b) => b.model_version === byCurrent);
        // `deno task model rollback`: back to the model signed before the last rotation.
        await registry.rollback();
        await healthWhen((b) => b.model_version === byPrevious);
        // A model signed two rotations ago is refused; the previous one keeps serving.
        await registry.promote(byOldest);
        const refused = await healthWhen((b) => typeof b.last_load_error === "string");
        assert.equal(refused.model_version, byPrevious);
        assert.match(
          String(refused.last_load_error),
          new RegExp(
            `${byOldest}: signed with version ${versions[0]} of keyvault:${host}/${secret}, ` +
              `which is no longer accepted \\(accepted: ${versions[2]} \\(current\\), ` +
              `${versions[1]} \\(previous\\)\\)`,
          ),
        );
      } finally {
        await pkg.stop();
      }
      assert.ok(vault.requests.some((r) => r.path === `/secrets/${secret}/versions`));
    } finally {
      await azurite.stop();
      await vault.stop();
      await tokens.stop();
      await tls.cleanup();
    }
  },
});
