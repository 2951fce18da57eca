import assert from "node:assert/strict";
import { join } from "node:path";
import { FUNCTIONS } from "../../function/package/function_json.ts";
import {
  DENIED_ENV,
  envMatches,
  HANDLER_NET,
  type HostJson,
} from "../../function/package/host_json.ts";
import { LAUNCHER_PATH, LAUNCHER_SCRIPT } from "../../function/package/launcher.ts";
import {
  assertLinuxX64Elf,
  linuxRuntime,
  RUNTIME_VERSION,
} from "../../function/package/runtime.ts";
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

Deno.test("build:function writes handler.js and its chunks, an executable bin/deno and bin/launch, host.json and one function.json per function", async () => {
  const { out } = await ensurePackage();
  const js = await scripts(out);
  assert.ok(js.includes("handler.js"));
  assert.deepEqual(
    await walk(out),
    [
      "bin/deno",
      "bin/launch",
      "host.json",
      ...js,
      ...FUNCTIONS.map((f) => `${f.name}/function.json`),
    ].sort(),
  );
  // Every chunk is imported by name from another script of the bundle.
  const code = await Promise.all(js.map((n) => Deno.readTextFile(join(out, n))));
  for (const chunk of js.filter((n) => n !== "handler.js")) {
    assert.ok(code.some((c) => c.includes(`"./${chunk}"`)), `${chunk} is imported`);
  }
  const runtime = await Deno.stat(join(out, "bin", "deno"));
  assert.equal(runtime.mode! & 0o777, 0o755);
  assert.equal((await Deno.stat(join(out, LAUNCHER_PATH))).mode! & 0o777, 0o755);
  assert.equal(await Deno.readTextFile(join(out, LAUNCHER_PATH)), LAUNCHER_SCRIPT);
});

Deno.test("the packaged bin/deno is the Linux x86-64 Deno of the pinned version, by its ELF header and --version", async () => {
  const { out } = await ensurePackage();
  const runtime = join(out, "bin", "deno");
  const head = new Uint8Array(20);
  {
    using f = await Deno.open(runtime);
    assert.equal(await f.read(head), 20);
  }
  assert.deepEqual([...head.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], "ELF magic");
  assert.equal(head[4], 2, "ELFCLASS64");
  assert.equal(head[5], 1, "little-endian");
  assert.equal(head[18]! | (head[19]! << 8), 62, "e_machine x86-64");
  await assertLinuxX64Elf(runtime);
  // The version .ci/run and the GitLab image pin is the one packaged.
  const ci = await Deno.readTextFile(join(import.meta.dirname!, "..", "..", ".ci", "run"));
  assert.equal(/^DENO_VERSION=(\S+)$/m.exec(ci)?.[1], RUNTIME_VERSION);
  if (Deno.build.os === "linux" && Deno.build.arch === "x86_64") {
    const { stdout } = await new Deno.Command(runtime, { args: ["--version"] }).output();
    assert.match(new TextDecoder().decode(stdout), new RegExp(`^deno ${RUNTIME_VERSION} `));
  }
});

Deno.test("build:function on a macOS arm64 machine still packages the Linux x86-64 runtime, verified by its package version", async () => {
  await withTempDir(async (dir) => {
    const entry = join(dir, "tiny.ts");
    await Deno.writeTextFile(entry, 'Deno.serve(() => new Response("ok"));\n');
    const out = join(dir, "dist", "function");
    const built = await buildFunction({ out, entry, platform: { os: "darwin", arch: "aarch64" } });
    assert.equal(built.runtimeVerifiedBy, "package.json");
    await assertLinuxX64Elf(join(out, "bin", "deno"));
    const linux = await linuxRuntime();
    assert.equal(linux.verifiedBy, Deno.build.os === "linux" ? "--version" : "package.json");
    const [packaged, fromNpm] = await Promise.all([
      Deno.readFile(join(out, "bin", "deno")),
      Deno.readFile(linux.path),
    ]);
    assert.equal(packaged.length, fromNpm.length);
    assert.ok(packaged.every((b, i) => b === fromNpm[i]), "bin/deno is the npm binary");
    assert.match(linux.path, /@deno[\\/]linux-x64-glibc[\\/]2\.9\.6[\\/]deno$/);
  });
});

Deno.test("assertLinuxX64Elf() refuses binaries Azure's Linux x86-64 workers cannot run", async () => {
  const elf = (cls: number, data: number, machine: number) => {
    const h = new Uint8Array(64);
    h.set([0x7f, 0x45, 0x4c, 0x46, cls, data, 1]);
    h[16] = 2; // ET_EXEC
    h[18] = machine & 0xff;
    h[19] = machine >> 8;
    return h;
  };
  const cases: [string, Uint8Array, RegExp][] = [
    [
      "Mach-O arm64",
      new Uint8Array([0xcf, 0xfa, 0xed, 0xfe, 12, 0, 0, 1, ...new Array(40)]),
      /Mach-O/,
    ],
    ["Windows PE", new Uint8Array([0x4d, 0x5a, ...new Array(62)]), /Windows \(PE\)/],
    ["ELF aarch64", elf(2, 1, 183), /ELF binary for aarch64/],
    ["ELF 32-bit", elf(1, 1, 3), /32-bit ELF/],
    ["ELF big-endian", elf(2, 2, 62), /big-endian/],
    ["empty", new Uint8Array(), /empty file/],
    ["a script", new TextEncoder().encode("#!/bin/sh\necho deno 2.9.6\n"), /not an executable/],
  ];
  await withTempDir(async (dir) => {
    for (const [name, bytes, why] of cases) {
      const path = join(dir, name.replaceAll(" ", "_"));
      await Deno.writeFile(path, bytes);
      await assert.rejects(assertLinuxX64Elf(path), (err: Error) => {
        assert.equal(err.name, "RuntimeError", name);
        assert.match(err.message, /expected a Linux x86-64 executable/, name);
        assert.match(err.message, why, name);
        assert.ok(err.message.includes(path), name);
        return true;
      });
    }
    await assertLinuxX64Elf(join((await ensurePackage()).out, "bin", "deno"));
  });
});

Deno.test("host.json runs bin/launch (then bin/deno) on handler.js with proxying, no route prefix and the v4 bundle", async () => {
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
  assert.equal(defaultExecutablePath, LAUNCHER_PATH);
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

Deno.test("bin/launch allows exactly the managed-identity endpoint's host and port, and nothing else new (table)", async () => {
  const { out } = await ensurePackage();
  const args = (await readHostJson(out)).customHandler.description.arguments;
  const at = args.indexOf("handler.js");
  await withTempDir(async (dir) => {
    const probe = join(dir, "probe.js");
    await Deno.writeTextFile(
      probe,
      `const hosts = JSON.parse(Deno.args[Deno.args.length - 1]);
      const out = {};
      for (const host of hosts) out[host] = (await Deno.permissions.query({ name: "net", host })).state;
      console.log(JSON.stringify(out));`,
    );
    const hosts = [
      "127.0.0.2:4321",
      "127.0.0.2:4322",
      "127.0.0.3:4321",
      "169.254.129.3:8081",
      "169.254.129.4:8081",
      "10.0.0.4:8081",
      "example.com",
      "127.0.0.1:7071",
    ];
    const granted = (...names: string[]) =>
      Object.fromEntries(hosts.map((h) => [h, names.includes(h) ? "granted" : "prompt"]));
    const base = granted("127.0.0.1:7071");
    const cases: [string, Record<string, string>, Record<string, string>, RegExp?][] = [
      ["no endpoint", {}, base],
      ["the local rehearsal's endpoint", {
        IDENTITY_ENDPOINT: "http://127.0.0.2:4321/msi/token",
      }, granted("127.0.0.1:7071", "127.0.0.2:4321")],
      ["App Service Linux's link-local endpoint", {
        IDENTITY_ENDPOINT: "http://169.254.129.3:8081/msi/token",
      }, granted("127.0.0.1:7071", "169.254.129.3:8081")],
      ["the older MSI_ENDPOINT", {
        MSI_ENDPOINT: "http://10.0.0.4:8081/msi/token",
      }, granted("127.0.0.1:7071", "10.0.0.4:8081")],
      ["IDENTITY_ENDPOINT wins over MSI_ENDPOINT", {
        IDENTITY_ENDPOINT: "http://169.254.129.3:8081/msi/token",
        MSI_ENDPOINT: "http://10.0.0.4:8081/msi/token",
      }, granted("127.0.0.1:7071", "169.254.129.3:8081")],
      ["not a URL", { IDENTITY_ENDPOINT: "169.254.129.3:8081" }, base, /not http\(s\)/],
      ["user info", { IDENTITY_ENDPOINT: "http://x@example.com/t" }, base, /not http\(s\)/],
      [
        "a list smuggled in",
        {
          IDENTITY_ENDPOINT: "http://169.254.129.3:8081,example.com/t",
        },
        base,
        /not http\(s\)/,
      ],
      ["a space", { IDENTITY_ENDPOINT: "http://a b/t" }, base, /not http\(s\)/],
    ];
    for (const [what, env, expected, warning] of cases) {
      const { success, stdout, stderr } = await new Deno.Command(join(out, LAUNCHER_PATH), {
        args: [...args.slice(0, at), probe, JSON.stringify(hosts)],
        cwd: out,
        clearEnv: true,
        env: { PATH: "/usr/bin:/bin", DENO_DIR: dir, ...env },
      }).output();
      const err = new TextDecoder().decode(stderr);
      assert.ok(success, `${what}: ${err}`);
      assert.deepEqual(JSON.parse(new TextDecoder().decode(stdout)), expected, what);
      if (warning) assert.match(err, warning, what);
      else assert.equal(err, "", what);
    }
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

Deno.test("function.zip holds every file of the package, with bin/deno and bin/launch as Unix 0755 files", async () => {
  const { out, zip } = await ensurePackage();
  const entries = await readZipEntries(zip);
  assert.deepEqual(entries.map((e) => e.name).sort(), await walk(out));
  for (const e of entries) {
    assert.equal(e.madeBy, 3, `${e.name}: made on Unix`);
    assert.equal(e.method, 8, `${e.name}: deflated`);
    assert.equal(e.size, (await Deno.stat(join(out, e.name))).size, e.name);
    const expected = e.name.startsWith("bin/") ? 0o100755 : 0o100644;
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

Deno.test("packageIsFresh() is false for a missing or older package, or one with a non-Linux runtime", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "function");
    assert.equal(await packageIsFresh(out), false);
    const { out: real } = await ensurePackage();
    await Deno.mkdir(join(out, "bin"), { recursive: true });
    for (const f of ["handler.js", "host.json", LAUNCHER_PATH]) {
      await Deno.copyFile(join(real, f), join(out, f));
    }
    await Deno.copyFile(join(real, "bin", "deno"), join(out, "bin", "deno"));
    await Deno.writeFile(`${out}.zip`, new Uint8Array());
    assert.equal(await packageIsFresh(out), true);
    // A package built by an older build:function on a Mac: its bin/deno cannot run on Azure.
    const linux = await Deno.readFile(join(out, "bin", "deno"));
    await Deno.writeFile(join(out, "bin", "deno"), new Uint8Array([0xcf, 0xfa, 0xed, 0xfe, 7, 0]));
    await Deno.utime(join(out, "handler.js"), new Date(), new Date());
    assert.equal(await packageIsFresh(out), false);
    await Deno.writeFile(join(out, "bin", "deno"), linux);
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
