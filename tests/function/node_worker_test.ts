/**
 * The Node.js-worker app as `deno task build:node-worker` builds it, run under Node.js with the
 * real `@azure/functions` (bundled in the app) and a stand-in for the part of the Azure
 * Functions Node.js worker an app talks to (tests/support/node_worker_stand_in.mjs). What this
 * proves: the bundle loads under Node.js, registers every route through the library's own
 * `app.http`, and the library's own conversion of an invocation (RPC HTTP data to HttpRequest,
 * the handler's answer back to RPC HTTP data) carries a prediction through. What it does not:
 * the gRPC channel between the Functions host and the worker, and the host's routing and key
 * checks (no Functions host can be installed here).
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildNodeWorker } from "../../tasks/build_node_worker.ts";
import { functionJson, FUNCTIONS } from "../../function/package/function_json.ts";
import { ROUTES } from "../../function/routes.ts";
import { serializeModel } from "../../lib/model/artifact.ts";
import { smallModel } from "../support/models.ts";
import { needsTool } from "../support/python.ts";

const STAND_IN = new URL("../support/node_worker_stand_in.mjs", import.meta.url).pathname;

function nodeVersion(): number | undefined {
  try {
    const out = new Deno.Command("node", { args: ["--version"], stderr: "null" }).outputSync();
    const major = Number(/^v(\d+)\./.exec(new TextDecoder().decode(out.stdout))?.[1]);
    return out.success && major >= 20 ? major : undefined;
  } catch {
    return undefined;
  }
}

const hasNode = nodeVersion() !== undefined;
const model = smallModel({ nFeatures: 2, classes: ["no", "yes"] });

interface RpcHttp {
  statusCode: string;
  headers: Record<string, string>;
  body?: { bytes?: Record<string, number>; string?: string };
}
interface Binding {
  type: string;
  direction: string;
  route?: string;
  methods?: string[];
  authLevel?: string;
}
interface StandInOutput {
  programmingModel: string;
  functions: { name: string; bindings: Record<string, Binding> }[];
  responses: RpcHttp[];
}

let built: Promise<{ dir: string; entry: string; model: string }> | undefined;
/** Builds the app once for the file, with a model beside it. */
function app() {
  built ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "fluxops-node-worker-" });
    const { entry } = await buildNodeWorker({ out: join(dir, "app") });
    const modelPath = join(dir, "model.json");
    await Deno.writeTextFile(modelPath, serializeModel(model.artifact));
    return { dir, entry, model: modelPath };
  })();
  return built;
}

/** Runs the app under Node.js, playing the invocations; returns what the stand-in saw. */
async function runApp(
  invocations: { function: string; http: Record<string, unknown> }[],
): Promise<StandInOutput> {
  const { entry, model: modelPath } = await app();
  const { success, stdout, stderr } = await new Deno.Command("node", {
    args: [STAND_IN, entry, JSON.stringify(invocations)],
    env: { FLUXOPS_MODEL: modelPath },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  assert.ok(success, `node failed:\n${new TextDecoder().decode(stderr)}\n${text}`);
  // The handler logs one JSON line per request on stdout too; the stand-in's line is the last.
  return JSON.parse(text.trim().split("\n").at(-1)!);
}

function bodyText(res: RpcHttp): string {
  if (res.body?.string !== undefined) return res.body.string;
  const bytes = Object.values(res.body?.bytes ?? {});
  return new TextDecoder().decode(new Uint8Array(bytes));
}

Deno.test({
  name: "the Node.js worker app built by its task serves a prediction through @azure/functions",
  ...needsTool(hasNode, "node (Node.js 20+)"),
  async fn() {
    const out = await runApp([
      {
        function: "predict",
        http: {
          method: "POST",
          url: "https://fluxops.azurewebsites.net/api/predict",
          headers: { "content-type": "application/json", "x-request-id": "from-the-host" },
          body: { string: JSON.stringify({ features: [0.5, -0.5] }) },
        },
      },
      {
        function: "predict",
        http: {
          method: "POST",
          url: "https://fluxops.azurewebsites.net/api/predict",
          headers: { "content-type": "application/json" },
          body: { string: '{"features":[1]}' },
        },
      },
    ]);
    assert.equal(out.programmingModel, "@azure/functions");
    const [ok, bad] = out.responses;
    assert.equal(ok!.statusCode, "200", bodyText(ok!));
    assert.equal(ok!.headers["x-request-id"], "from-the-host");
    assert.equal(ok!.headers["x-fluxops-model-version"], model.artifact.version);
    const prediction = JSON.parse(bodyText(ok!));
    assert.ok(["no", "yes"].includes(prediction.prediction), bodyText(ok!));
    assert.equal(prediction.model_version, model.artifact.version);
    assert.equal(bad!.statusCode, "400");
    assert.equal(JSON.parse(bodyText(bad!)).error.code, "invalid_input");
  },
});

Deno.test({
  name: "both hosts expose every route with the same name, route, methods and auth level",
  ...needsTool(hasNode, "node (Node.js 20+)"),
  async fn() {
    const { functions } = await runApp([]);
    // What the Node.js worker would send the host, as @azure/functions builds it.
    const worker = functions.map((f) => {
      const trigger = Object.values(f.bindings).find((b) => b.direction === "in")!;
      assert.equal(trigger.type, "httpTrigger", f.name);
      assert.ok(Object.values(f.bindings).some((b) => b.direction === "out" && b.type === "http"));
      return {
        name: f.name,
        route: trigger.route,
        methods: trigger.methods!.map((m) => m.toLowerCase()),
        authLevel: trigger.authLevel,
      };
    });
    // What the custom-handler package's function.json files declare.
    const pkg = FUNCTIONS.map((f) => {
      const [trigger] = functionJson(f).bindings;
      return {
        name: f.name,
        route: trigger.route,
        methods: [...trigger.methods],
        authLevel: trigger.authLevel,
      };
    });
    assert.deepEqual(worker, pkg);
    assert.deepEqual(worker.map((w) => w.name), ROUTES.map((r) => r.name));
    // Only the probes go without a key.
    assert.deepEqual(
      worker.filter((w) => w.authLevel === "anonymous").map((w) => w.route),
      ["api/health", "v2/health/{probe}"],
    );
  },
});

Deno.test("the Node.js worker app has an empty route prefix, as the route table's paths assume", async () => {
  const { entry } = await app();
  const host = JSON.parse(await Deno.readTextFile(join(entry, "..", "host.json")));
  assert.equal(host.version, "2.0");
  assert.equal(host.extensions.http.routePrefix, "");
  const pkg = JSON.parse(await Deno.readTextFile(join(entry, "..", "package.json")));
  assert.equal(pkg.main, "index.mjs");
  await Deno.remove(join(entry, "..", ".."), { recursive: true });
});
