import assert from "node:assert/strict";
import { join } from "node:path";
import { FUNCTIONS } from "../../function/package/function_json.ts";
import {
  DENIED_ENV,
  envMatches,
  HANDLER_NET,
  type HostJson,
} from "../../function/package/host_json.ts";
import { buildFunction, main, packageIsFresh } from "../../tasks/build_function.ts";
import { listDir, withTempDir } from "../support/fixtures.ts";
import { ensurePackage, readZipEntries } from "../support/package.ts";

async function readHostJson(dir: string): Promise<HostJson> {
  return JSON.parse(await Deno.readTextFile(join(dir, "host.json")));
}

async function walk(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const name of await listDir(dir)) {
    const path = join(dir, name);
    if ((await Deno.stat(path)).isDirectory) out.push(...await walk(path, `${prefix}${name}/`));
    else out.push(`${prefix}${name}`);
  }
  return out.sort();
}

/** The bundle's files: handler.js and the chunks it imports on demand. */
async function scripts(out: string): Promise<string[]> {
  return (await listDir(out)).filter((n) => n.endsWith(".js"));
}

Deno.test("build:function writes handler.js and its chunks, an executable bin/deno, host.json and one function.json per function", async () => {
  const { out } = await ensurePackage();
  const js = await scripts(out);
  assert.ok(js.includes("handler.js"));
  assert.deepEqual(
    await walk(out),
    ["bin/deno", "host.json", ...js, ...FUNCTIONS.map((f) => `${f.name}/function.json`)].sort(),
  );
  // Every chunk is imported by name from another script of the bundle.
  const code = await Promise.all(js.map((n) => Deno.readTextFile(join(out, n))));
  for (const chunk of js.filter((n) => n !== "handler.js")) {
    assert.ok(code.some((c) => c.includes(`"./${chunk}"`)), `${chunk} is imported`);
  }
  const runtime = await Deno.stat(join(out, "bin", "deno"));
  assert.equal(runtime.mode! & 0o777, 0o755);
  assert.equal(runtime.size, (await Deno.stat(Deno.execPath())).size);
});

Deno.test("host.json runs bin/deno on handler.js with proxying, no route prefix and the v4 bundle", async () => {
  const { out } = await ensurePackage();
  const host = await readHostJson(out);
  assert.equal(host.version, "2.0");
  assert.deepEqual(host.extensionBundle, {
    id: "Microsoft.Azure.Functions.ExtensionBundle",
    version: "[4.*, 5.0.0)",
  });
  assert.deepEqual(host.extensions, { http: { routePrefix: "" } });
  assert.equal(host.customHandler.enableProxyingHttpRequest, true);
  const { defaultExecutablePath, workingDirectory, arguments: args } =
    host.customHandler.description;
  assert.equal(defaultExecutablePath, "bin/deno");
  assert.equal(workingDirectory, "");
  assert.equal(args[0], "run");
  assert.ok(args.includes("handler.js"));
  // The host joins arguments with spaces and does not quote them.
  for (const a of args) assert.match(a, /^[^\s"']+$/);
  assert.equal(host.logging.logLevel["Host.Function.Console"], "Information");
});

Deno.test("host.json grants the network, variables and system facts the handler needs, and no more", async () => {
  const { out } = await ensurePackage();
  const args = (await readHostJson(out)).customHandler.description.arguments;
  const flags = args.slice(0, args.indexOf("handler.js"));
  for (const broad of ["-A", "--allow-all", "--allow-net"]) {
    assert.ok(!flags.includes(broad), `${broad} without a list`);
  }
  assert.ok(!flags.some((f) => /^--allow-(write|run|ffi|import)/.test(f)), flags.join(" "));
  assert.ok(flags.includes(`--allow-net=${HANDLER_NET.join(",")}`));
  assert.ok(flags.includes("--allow-env"));
  assert.ok(flags.includes(`--deny-env=${DENIED_ENV.join(",")}`));
  assert.ok(flags.includes("--allow-sys")); // node:https needs sys "ca", which has no name
  for (const f of ["--no-config", "--no-remote", "--no-npm", "--no-prompt", "--no-code-cache"]) {
    assert.ok(flags.includes(f), f);
  }
  // Serving threads share the port (reusePort), and the young generation stays small.
  assert.ok(flags.includes("--unstable-net"));
  assert.ok(flags.includes("--v8-flags=--max-semi-space-size=2"));
  assert.deepEqual(args.slice(args.indexOf("handler.js") + 1), ["--hostname", "127.0.0.1"]);
});

Deno.test("host.json's permissions keep platform secrets, other hosts, subprocesses and writes out of reach", async () => {
  const { out } = await ensurePackage();
  const args = (await readHostJson(out)).customHandler.description.arguments;
  await withTempDir(async (dir) => {
    const probe = join(dir, "probe.js");
    await Deno.writeTextFile(
      probe,
      `const q = async (d) => (await Deno.permissions.query(d)).state;
      let secret;
      try { secret = Deno.env.get("AzureWebJobsStorage") ?? "unset"; } catch (e) { secret = e.name; }
      console.log(JSON.stringify({
        secret,
        own: Deno.env.get("FLUXOPS_STORE"),
        sdk: Deno.env.get("IDENTITY_ENDPOINT"),
        blob: await q({ name: "net", host: "acct.blob.core.windows.net" }),
        vault: await q({ name: "net", host: "kv.vault.azure.net" }),
        other: await q({ name: "net", host: "example.com" }),
        run: await q({ name: "run" }),
        write: await q({ name: "write" }),
        ffi: await q({ name: "ffi" }),
        hostname: await q({ name: "sys", kind: "hostname" }),
      }));`,
    );
    const flags = args.slice(0, args.indexOf("handler.js"));
    const { success, stdout, stderr } = await new Deno.Command(join(out, "bin", "deno"), {
      args: [...flags, probe],
      cwd: out,
      clearEnv: true,
      env: {
        PATH: "/usr/bin:/bin",
        DENO_DIR: dir,
        AzureWebJobsStorage: "DefaultEndpointsProtocol=https;AccountKey=secret",
        FLUXOPS_STORE: "azblob://models",
        IDENTITY_ENDPOINT: "http://127.0.0.1:41741/msi/token",
      },
    }).output();
    assert.ok(success, new TextDecoder().decode(stderr));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(stdout)), {
      secret: "NotCapable",
      own: "azblob://models",
      sdk: "http://127.0.0.1:41741/msi/token",
      blob: "granted",
      vault: "granted",
      other: "prompt",
      run: "prompt",
      write: "prompt",
      ffi: "prompt",
      hostname: "granted", // bare --allow-sys: node:https needs sys "ca"
    });
  });
});

Deno.test("every function.json is an HTTP trigger with an http output, keyed unless a probe", async () => {
  const { out } = await ensurePackage();
  const routes: string[] = [];
  for (const fn of FUNCTIONS) {
    const doc = JSON.parse(await Deno.readTextFile(join(out, fn.name, "function.json")));
    assert.equal(doc.bindings.length, 2, fn.name);
    const [trigger, output] = doc.bindings;
    assert.deepEqual(output, { type: "http", direction: "out", name: "res" });
    assert.equal(trigger.type, "httpTrigger");
    assert.equal(trigger.direction, "in");
    assert.equal(trigger.name, "req");
    assert.ok(!trigger.route.startsWith("/"), trigger.route);
    assert.ok(trigger.methods.length > 0);
    for (const m of trigger.methods) assert.match(m, /^(get|post)$/);
    const probe = fn.name === "health" || fn.name === "v2-health";
    assert.equal(trigger.authLevel, probe ? "anonymous" : "function", fn.name);
    routes.push(`${trigger.methods.join(",")} ${trigger.route}`);
  }
  assert.deepEqual(routes, [
    "get api/health",
    "post api/predict",
    "get api/model-info",
    "get api/drift",
    "get api/openapi.json",
    "get v2",
    "get v2/health/{probe}",
    "get,post v2/models/{*rest}",
  ]);
});

Deno.test("function.zip holds every file of the package, with bin/deno as a Unix 0755 file", async () => {
  const { out, zip } = await ensurePackage();
  const entries = await readZipEntries(zip);
  assert.deepEqual(entries.map((e) => e.name).sort(), await walk(out));
  for (const e of entries) {
    assert.equal(e.madeBy, 3, `${e.name}: made on Unix`);
    assert.equal(e.method, 8, `${e.name}: deflated`);
    assert.equal(e.size, (await Deno.stat(join(out, e.name))).size, e.name);
    const expected = e.name === "bin/deno" ? 0o100755 : 0o100644;
    assert.equal(e.mode.toString(8), expected.toString(8), e.name);
  }
});

Deno.test("handler.js is self-contained and reads none of the denied platform secrets", async () => {
  const { out } = await ensurePackage();
  const js = await scripts(out);
  const code = (await Promise.all(js.map((n) => Deno.readTextFile(join(out, n))))).join("\n");
  assert.doesNotMatch(code, /(?:from\s*|import\s*\(\s*)["'](?:npm|jsr|https?):/);
  // Relative imports name only the bundle's own chunks.
  for (const m of code.matchAll(/(?:from\s*|import\s*\(\s*)["'](\.{1,2}\/[^"']*)["']/g)) {
    assert.ok(js.includes(m[1]!.replace(/^\.\//, "")), `import of ${m[1]}`);
  }
  const names = new Set([
    ...[...code.matchAll(/["'`]((?:FLUXOPS|FUNCTIONS)_[A-Z0-9_]+)["'`]/g)].map((m) => m[1]!),
    ...[...code.matchAll(/\benv(?:\.get)?\(\s*["'`]([A-Za-z_]\w*)["'`]/g)].map((m) => m[1]!),
    ...[...code.matchAll(/process\.env\.([A-Za-z_]\w*)/g)].map((m) => m[1]!),
  ]);
  assert.ok(names.has("FUNCTIONS_CUSTOMHANDLER_PORT"));
  for (const name of names) assert.ok(!envMatches(name, DENIED_ENV), `${name} is denied`);
  for (const secret of ["AzureWebJobsStorage", "AzureWebJobsStorage__accountName"]) {
    assert.ok(envMatches(secret, DENIED_ENV), secret);
  }
});

Deno.test("buildFunction() replaces a package whole and keeps it when a rebuild fails", async () => {
  await withTempDir(async (dir) => {
    const entry = join(dir, "tiny.ts");
    await Deno.writeTextFile(join(dir, "lazy.ts"), 'export const answer = "lazy";\n');
    await Deno.writeTextFile(
      entry,
      'const { answer } = await import("./lazy.ts");\nDeno.serve(() => new Response(answer));\n',
    );
    const out = join(dir, "dist", "function");
    const first = await buildFunction({ out, entry });
    assert.equal(first.reused, false);
    assert.equal(first.chunks, 1, "the dynamic import became a chunk");
    assert.equal((await scripts(out)).length, 2);
    assert.ok(await packageIsFresh(out));
    await Deno.writeTextFile(join(out, "stray.txt"), "left from an older build");

    await buildFunction({ out, entry });
    assert.ok(!(await listDir(out)).includes("stray.txt"), "the old folder was replaced whole");

    const before = await Deno.readTextFile(join(out, "handler.js"));
    await Deno.writeTextFile(entry, "export const = ;\n");
    await assert.rejects(buildFunction({ out, entry }), /deno bundle .* failed/);
    assert.equal(await Deno.readTextFile(join(out, "handler.js")), before);
    assert.deepEqual(await listDir(join(dir, "dist")), [
      ".function.lock",
      "function",
      "function.zip",
    ]);
  });
});

Deno.test("packageIsFresh() is false for a missing or older package", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "function");
    assert.equal(await packageIsFresh(out), false);
    const { out: real } = await ensurePackage();
    await Deno.mkdir(join(out, "bin"), { recursive: true });
    for (const f of ["handler.js", "host.json"]) await Deno.copyFile(join(real, f), join(out, f));
    await Deno.copyFile(join(real, "bin", "deno"), join(out, "bin", "deno"));
    await Deno.writeFile(`${out}.zip`, new Uint8Array());
    assert.equal(await packageIsFresh(out), true);
    await Deno.utime(join(out, "handler.js"), 0, 0);
    assert.equal(await packageIsFresh(out), false);
  });
});

Deno.test("build:function --help exits 0 and an unknown flag exits 2", async () => {
  const log = console.log;
  const error = console.error;
  const printed: string[] = [];
  console.log = (s: string) => printed.push(s);
  console.error = (s: string) => printed.push(s);
  try {
    assert.equal(await main(["--help"]), 0);
    assert.match(printed.join("\n"), /Usage: deno task build:function/);
    assert.equal(await main(["--bogus"]), 2);
  } finally {
    console.log = log;
    console.error = error;
  }
});
