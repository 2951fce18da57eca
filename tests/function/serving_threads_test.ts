/**
 * The function on two serving threads (the main thread and a worker sharing the port), over
 * real HTTP from 16 separate connections, so the kernel hands connections to both.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { saveModel, serializeModel } from "../../lib/model/artifact.ts";
import { FsBackend } from "../../lib/store/fs_backend.ts";
import { ModelRegistry } from "../../lib/store/registry.ts";
import { withTempDir } from "../support/fixtures.ts";
import { smallModel } from "../support/models.ts";
import { type RunningServer, startServer } from "../support/server.ts";
import { WAIT_LIMIT_MS, waitUntil } from "../support/wait.ts";

const PRODUCTION = smallModel({ nFeatures: 3, seed: 1 });
/** Takes four features: every row production accepts fails on it. */
const BROKEN = smallModel({ nFeatures: 4, seed: 3 });
const CANDIDATE = smallModel({ nFeatures: 3, seed: 2 });
const CONNECTIONS = 16;

interface Logged {
  msg: string;
  thread?: number;
  route?: string;
  [k: string]: unknown;
}

function logged(server: RunningServer): Logged[] {
  return server.stdout().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

/** Starts the function on two threads and waits until the worker listens too. */
async function startTwo(args: string[], env: Record<string, string> = {}) {
  const server = await startServer(["--threads", "2", ...args], env);
  const deadline = Date.now() + WAIT_LIMIT_MS;
  while (!logged(server).some((l) => l.msg === "serving threads")) {
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`no serving threads: ${server.stdout()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const line = logged(server).find((l) => l.msg === "serving threads")!;
  assert.equal(line.threads, 2);
  return server;
}

/** Runs `perClient` requests on each of CONNECTIONS connections at once. */
async function load<T>(
  perClient: number,
  send: (client: Deno.HttpClient, c: number, i: number) => Promise<T>,
): Promise<T[]> {
  const clients = Array.from({ length: CONNECTIONS }, () => Deno.createHttpClient({}));
  try {
    const runs = clients.map(async (client, c) => {
      const out: T[] = [];
      for (let i = 0; i < perClient; i++) out.push(await send(client, c, i));
      return out;
    });
    return (await Promise.all(runs)).flat();
  } finally {
    for (const c of clients) c.close();
  }
}

function predict(server: RunningServer, client: Deno.HttpClient, subject: string) {
  return fetch(`${server.url}/api/predict`, {
    client,
    method: "POST",
    headers: { "content-type": "application/json", "x-fluxops-subject": subject },
    body: JSON.stringify({ features: [0.5, -1, 2] }),
  }).then(async (res) => {
    await res.body?.cancel();
    return { status: res.status, version: res.headers.get("x-fluxops-model-version") };
  });
}

async function withModels(fn: (paths: Record<string, string>) => Promise<void>) {
  await withTempDir(async (dir) => {
    const paths: Record<string, string> = {};
    for (const [name, m] of Object.entries({ PRODUCTION, BROKEN, CANDIDATE })) {
      paths[name] = join(dir, `${name}.json`);
      await saveModel(paths[name], m.artifact);
    }
    await fn(paths);
  });
}

Deno.test("on two threads both answer, every request is logged once with its thread, and both drain on SIGTERM", async () => {
  await withModels(async ({ PRODUCTION: model }) => {
    const server = await startTwo(["--model", model!]);
    const answers = await load(20, (client, c, i) => predict(server, client, `s${c}-${i}`));
    assert.equal(answers.length, CONNECTIONS * 20);
    assert.ok(answers.every((a) => a.status === 200));
    const status = await server.stop();
    assert.equal(status.code, 0);
    const lines = logged(server);
    const requests = lines.filter((l) => l.msg === "request" && l.route === "/api/predict");
    assert.equal(requests.length, CONNECTIONS * 20, "one line per request, none lost or doubled");
    assert.deepEqual(
      [...new Set(requests.map((l) => l.thread))].sort(),
      [0, 1],
      "both threads answered",
    );
    const drained = lines.filter((l) => l.msg === "closing the listener").map((l) => l.thread);
    assert.deepEqual(drained.sort(), [0, 1]);
    assert.equal(lines.at(-1)!.msg, "stopped");
  });
});

Deno.test("drift and release reports count every request answered on any thread before them", async () => {
  await withModels(async ({ PRODUCTION: model, CANDIDATE: candidate }) => {
    const server = await startTwo(["--model", model!], {
      FLUXOPS_RELEASE_MODE: "canary",
      FLUXOPS_CANDIDATE_MODEL: candidate!,
      FLUXOPS_CANARY_WEIGHT: "0.5",
    });
    try {
      const answers = await load(25, (client, c, i) => predict(server, client, `s${c}-${i}`));
      assert.ok(answers.every((a) => a.status === 200));
      // Asked on fresh connections, so on either thread: each must see all 400.
      for (let i = 0; i < 4; i++) {
        const client = Deno.createHttpClient({});
        try {
          const drift = await (await fetch(`${server.url}/api/drift`, { client })).json();
          const byProduction = answers.filter((a) => a.version === PRODUCTION.artifact.version);
          assert.equal(drift.rows_seen, byProduction.length, "the window holds production's rows");
          const info = await (await fetch(`${server.url}/api/model-info`, { client })).json();
          const total = info.release.versions.reduce(
            (n: number, v: { requests: number }) => n + v.requests,
            0,
          );
          assert.equal(total, CONNECTIONS * 25);
          const toCandidate = answers.filter((a) => a.version === CANDIDATE.artifact.version);
          const counted = info.release.versions.find((v: { role: string }) =>
            v.role === "candidate"
          );
          assert.equal(counted.requests, toCandidate.length);
        } finally {
          client.close();
        }
      }
    } finally {
      await server.stop();
    }
  });
});

Deno.test("a candidate failing on every thread is rolled back once, from their summed counts, on every thread", async () => {
  await withModels(async ({ PRODUCTION: model, BROKEN: candidate }) => {
    const server = await startTwo(["--model", model!], {
      FLUXOPS_RELEASE_MODE: "canary",
      FLUXOPS_CANDIDATE_MODEL: candidate!,
      FLUXOPS_CANARY_WEIGHT: "1",
      FLUXOPS_ROLLBACK_MIN_REQUESTS: "20",
    });
    try {
      const first = await load(10, (client, c, i) => predict(server, client, `s${c}-${i}`));
      assert.ok(first.every((a) => a.status === 200 && a.version === PRODUCTION.artifact.version));
      const info = await (await fetch(`${server.url}/api/model-info`)).json();
      assert.equal(info.release.rolled_back, true, JSON.stringify(info.release));
      const candidate = info.release.versions.find((v: { role: string }) => v.role === "candidate");
      // 160 requests, each one failed. Judged at 20 summed, plus what the serving thread
      // scored before the main thread's word reached it (a few event-loop turns).
      assert.ok(
        candidate.requests >= 20 && candidate.requests < 100,
        `candidate requests: ${candidate.requests}`,
      );
      assert.equal(candidate.errors, candidate.requests);
      // Now no thread sends anything to the candidate.
      await load(3, (client, c, i) => predict(server, client, `t${c}-${i}`));
      const after = await (await fetch(`${server.url}/api/model-info`)).json();
      assert.deepEqual(
        after.release.versions.find((v: { role: string }) => v.role === "candidate"),
        candidate,
      );
    } finally {
      await server.stop();
    }
    const events = logged(server).filter((l) => l.msg === "candidate_rolled_back");
    assert.equal(events.length, 1, "decided and logged once, by the main thread");
  });
});

Deno.test("a promotion in the registry reaches every thread before any report shows it", async () => {
  await withTempDir(async (dir) => {
    const registry = new ModelRegistry(new FsBackend(dir));
    const enc = new TextEncoder();
    const publish = async (m: typeof PRODUCTION) => {
      const bytes = enc.encode(serializeModel(m.artifact));
      const { version } = await registry.publish(new Map([["model.json", bytes]]));
      await registry.promote(version, "production");
      return version;
    };
    const first = await publish(PRODUCTION);
    const server = await startTwo(["--store", dir], {
      FLUXOPS_ALIAS: "production",
      FLUXOPS_POLL_SECONDS: "0.1",
    });
    try {
      const before = await load(3, (client, c, i) => predict(server, client, `s${c}-${i}`));
      assert.ok(before.every((a) => a.status === 200 && a.version === first));
      const second = await publish(CANDIDATE);
      await waitUntil(
        async () =>
          (await (await fetch(`${server.url}/api/health`)).json()).model_version === second,
        "a health report of the promoted version",
        { everyMs: 20 },
      );
      const after = await load(5, (client, c, i) => predict(server, client, `t${c}-${i}`));
      assert.deepEqual(
        [...new Set(after.map((a) => a.version))],
        [second],
        "every thread serves the promoted version once a report shows it",
      );
    } finally {
      await server.stop();
    }
  });
});

Deno.test("without a valid model every thread answers 503 with the reason the main thread found", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "model.json");
    await Deno.writeTextFile(path, '{"format":"fluxops.model/v1","sha256":"00"}');
    const server = await startTwo([], { FLUXOPS_MODEL: path });
    try {
      const answers = await load(3, (client) =>
        fetch(`${server.url}/api/predict`, {
          client,
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ features: [0.5, -1, 2] }),
        }).then(async (res) => ({ status: res.status, body: await res.json() })));
      for (const a of answers) {
        assert.equal(a.status, 503);
        assert.match(a.body.error.message, /no model is loaded: .*checksum mismatch/);
      }
    } finally {
      await server.stop();
    }
    const threads = new Set(
      logged(server).filter((l) => l.msg === "request").map((l) => l.thread),
    );
    assert.deepEqual([...threads].sort(), [0, 1]);
  });
});

Deno.test("without --unstable-net the function says so and serves on one thread", async () => {
  await withModels(async ({ PRODUCTION: model }) => {
    const server = await startServer(["--threads", "2", "--model", model!], {}, {
      unstableNet: false,
    });
    let status: Deno.CommandStatus;
    try {
      const res = await fetch(`${server.url}/api/health`);
      assert.equal(res.status, 200);
      await res.body?.cancel();
    } finally {
      status = await server.stop();
    }
    assert.equal(status.code, 0);
    const lines = logged(server);
    const warn = lines.find((l) => l.level === "warn")!;
    assert.match(warn.msg, /serving on one thread: sharing the port needs --unstable-net/);
    assert.equal(warn.threads_asked, 2);
    assert.ok(!lines.some((l) => l.msg === "serving threads"));
  });
});

for (const threads of ["1", "2"]) {
  Deno.test(`a second function on ${threads} thread(s) on a port one already serves exits 1 naming the address and takes none of its connections`, async () => {
    await withModels(async ({ PRODUCTION: model }) => {
      const first = await startTwo(["--model", model!]);
      try {
        const port = new URL(first.url).port;
        const child = new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            "--unstable-net",
            join(import.meta.dirname!, "../../function/main.ts"),
            ...["--threads", threads, "--hostname", "127.0.0.1", "--port", port, "--model", model!],
          ],
          stdout: "null",
          stderr: "piped",
        }).spawn();
        // A hang guard: a function that joined the port would serve until stopped.
        const guard = setTimeout(() => child.kill("SIGKILL"), WAIT_LIMIT_MS);
        const second = await child.output().finally(() => clearTimeout(guard));
        assert.notEqual(second.signal, "SIGKILL", "the second function kept serving on the port");
        assert.equal(second.code, 1);
        const stderr = new TextDecoder().decode(second.stderr);
        assert.equal(
          stderr.trim(),
          `error: 127.0.0.1:${port} is in use: another process listens there`,
        );
        // SO_REUSEPORT would have let it join the port: every new connection still reaches the first.
        const answers = await load(2, (client, c, i) => predict(first, client, `s${c}-${i}`));
        assert.ok(answers.every((a) => a.status === 200));
        const status = await first.stop();
        assert.equal(status.code, 0);
        const requests = logged(first).filter((l) =>
          l.msg === "request" && l.route === "/api/predict"
        );
        assert.equal(requests.length, CONNECTIONS * 2);
      } finally {
        await first.stop();
      }
    });
  });
}
