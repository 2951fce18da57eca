/**
 * Canary and shadow releases against the packaged function (started as the Azure Functions host
 * starts it), following a file-system registry that holds a production and a candidate alias.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Label } from "../../lib/data/dataset.ts";
import { bucketsFor, inShare } from "../../function/serving/sticky_bucket.ts";
import { FsBackend } from "../../lib/store/fs_backend.ts";
import { ModelRegistry } from "../../lib/store/registry.ts";
import { withTempDir } from "../support/fixtures.ts";
import { smallModelJson } from "../support/models.ts";
import { type RunningPackage, startPackage } from "../support/package.ts";
import { pollUntil as until } from "../support/wait.ts";

const enc = new TextEncoder();

/** A model.json on `nFeatures` features, its version fixed by `seed`. */
function modelJson(seed: number, nFeatures = 3, classes: Label[] = [0, 1]): Uint8Array {
  return smallModelJson({
    seed,
    nFeatures,
    classes,
    trees: 7,
    metrics: { accuracy: 0.9 },
    createdAt: new Date(Date.UTC(2026, 2, seed)),
  });
}

/** Publishes a model and points `alias` at it; returns its version. */
async function publish(registry: ModelRegistry, bytes: Uint8Array, alias: string) {
  const { version } = await registry.publish(new Map([["model.json", bytes]]));
  await registry.promote(version, alias);
  return version;
}

interface Answer {
  status: number;
  version: string | null;
  headers: Headers;
  bytes: Uint8Array;
}

async function send(
  pkg: RunningPackage,
  path: string,
  body: BodyInit | undefined,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${pkg.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body }),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return {
    status: res.status,
    version: res.headers.get("x-fluxops-model-version"),
    headers: res.headers,
    bytes,
  };
}

const json = (a: Answer) => JSON.parse(new TextDecoder().decode(a.bytes));
const predict = (subject: string, features = [0.3, -1.2, 0.8]) =>
  [JSON.stringify({ features }), { "x-fluxops-subject": subject }] as const;

/** Runs `count` jobs, `width` at a time. */
async function pool<T>(count: number, width: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < count) {
      const i = next++;
      out[i] = await job(i);
    }
  }));
  return out;
}

const info = async (pkg: RunningPackage) => json(await send(pkg, "/api/model-info", undefined));
const health = async (pkg: RunningPackage) => json(await send(pkg, "/api/health", undefined));
const role = (
  report: { versions: { role: string; requests: number; errors: number }[] },
  r: string,
) =>
  report.versions.filter((v) => v.role === r).reduce(
    (a, v) => ({ requests: a.requests + v.requests, errors: a.errors + v.errors }),
    { requests: 0, errors: 0 },
  );

/** A store with production and candidate aliases, a package following it, then cleanup. */
async function withRelease(
  env: Record<string, string>,
  candidate: Uint8Array,
  fn: (
    pkg: RunningPackage,
    v: { production: string; candidate: string },
    registry: ModelRegistry,
  ) => Promise<void>,
): Promise<void> {
  await withTempDir(async (dir) => {
    const registry = new ModelRegistry(new FsBackend(dir));
    const versions = {
      production: await publish(registry, modelJson(1), "production"),
      candidate: await publish(registry, candidate, "candidate"),
    };
    const pkg = await startPackage({
      env: { FLUXOPS_STORE: dir, FLUXOPS_POLL_SECONDS: "0.2", ...env },
    });
    try {
      const h = await until(
        () => health(pkg),
        (b) => b.candidate?.model_version === versions.candidate,
      );
      assert.equal(h.model_version, versions.production, JSON.stringify(h));
      assert.equal(h.candidate?.model_version, versions.candidate, JSON.stringify(h));
      await fn(pkg, versions, registry);
    } finally {
      await pkg.stop();
    }
    assert.equal(pkg.stderr(), "", "no permission error, no stack trace");
  });
}

Deno.test("a 10% canary sends 10% +/- 3 points of 2,000 subjects to the candidate, the ones its hash picks", async () => {
  await withRelease(
    { FLUXOPS_RELEASE_MODE: "canary", FLUXOPS_CANARY_WEIGHT: "0.1" },
    modelJson(2),
    async (pkg, v) => {
      const buckets = bucketsFor(0.1);
      const answers = await pool(
        2000,
        8,
        (i) => send(pkg, "/api/predict", ...predict(`subject-${i}`)),
      );
      let toCandidate = 0;
      answers.forEach((a, i) => {
        assert.equal(a.status, 200);
        assert.equal(a.version, json(a).model_version);
        const want = inShare(`subject-${i}`, buckets) ? v.candidate : v.production;
        assert.equal(a.version, want, `subject-${i}`);
        if (a.version === v.candidate) toCandidate++;
      });
      assert.equal(toCandidate, 214, "deterministic given the hash");
      assert.ok(Math.abs(toCandidate / 2000 - 0.1) <= 0.03, `${toCandidate} of 2000`);
      const report = (await info(pkg)).release;
      assert.equal(report.mode, "canary");
      assert.equal(report.weight, 0.1);
      assert.deepEqual(role(report, "candidate"), { requests: toCandidate, errors: 0 });
      assert.deepEqual(role(report, "production"), { requests: 2000 - toCandidate, errors: 0 });
    },
  );
});

Deno.test("the packaged canary always answers the same subject with the same version", async () => {
  await withRelease(
    { FLUXOPS_RELEASE_MODE: "canary", FLUXOPS_CANARY_WEIGHT: "0.5" },
    modelJson(2),
    async (pkg, v) => {
      const subjects = Array.from({ length: 20 }, (_, i) => `user-${i * 7919}`);
      const seen = new Map<string, Set<string | null>>(subjects.map((s) => [s, new Set()]));
      await pool(subjects.length * 25, 8, async (i) => {
        const subject = subjects[i % subjects.length]!;
        const a = await send(pkg, "/api/predict", ...predict(subject, [i % 5, -i % 3, 0.5]));
        assert.equal(a.status, 200);
        seen.get(subject)!.add(a.version);
      });
      const versions = new Set<string | null>();
      for (const [subject, got] of seen) {
        assert.equal(got.size, 1, `${subject} got ${[...got].join(", ")}`);
        versions.add([...got][0]!);
      }
      assert.deepEqual([...versions].sort(), [v.production, v.candidate].sort());
    },
  );
});

Deno.test("shadow mode never changes a response: byte-identical to production alone", async () => {
  await withTempDir(async (dir) => {
    const registry = new ModelRegistry(new FsBackend(dir));
    const production = await publish(registry, modelJson(1), "production");
    const candidate = await publish(registry, modelJson(5), "candidate");
    const env = { FLUXOPS_STORE: dir, FLUXOPS_POLL_SECONDS: "0.2" };
    const [alone, shadow] = await Promise.all([
      startPackage({ env }),
      startPackage({ env: { ...env, FLUXOPS_RELEASE_MODE: "shadow" } }),
    ]);
    try {
      await until(() => health(alone), (b) => b.model_version === production);
      await until(() => health(shadow), (b) => b.candidate?.model_version === candidate);
      const rows = Array.from(
        { length: 50 },
        (_, i) => [(i % 7) - 3, (i % 5) / 2 - 1, (i % 3) * 0.7],
      );
      const binary = new Float64Array(rows.flat());
      const v2Binary = () => {
        const head = enc.encode(JSON.stringify({
          inputs: [{
            name: "x",
            shape: [50, 3],
            datatype: "FP64",
            parameters: { binary_data_size: binary.byteLength },
          }],
          parameters: { binary_data_output: true },
        }));
        const body = new Uint8Array(head.length + binary.byteLength);
        body.set(head);
        body.set(new Uint8Array(binary.buffer), head.length);
        return [body, { "inference-header-content-length": String(head.length) }] as const;
      };
      const requests: [string, () => readonly [BodyInit, Record<string, string>]][] = [
        ["/api/predict", () => [JSON.stringify({ features: rows[0] }), {}]],
        ["/api/predict", () => [JSON.stringify({ features: { f2: 1, f0: -2, f1: 0.5 } }), {}]],
        ["/api/predict", () => [JSON.stringify({ instances: rows }), { "x-fluxops-subject": "s" }]],
        ["/v2/models/fluxops/infer", () => [
          JSON.stringify({
            id: "a",
            inputs: [{ name: "x", shape: [50, 3], datatype: "FP64", data: rows }],
          }),
          {},
        ]],
        ["/v2/models/fluxops/infer", v2Binary],
        ["/api/predict", () => [JSON.stringify({ features: [1, 2] }), {}]],
        ["/api/predict", () => ["{not json", {}]],
      ];
      const ignored = new Set(["x-request-id", "server-timing", "date"]);
      let scoredRows = 0;
      for (let round = 0; round < 3; round++) {
        for (const [i, [path, make]] of requests.entries()) {
          const id = { "x-request-id": `r${round}-${i}` };
          const [bodyA, headersA] = make();
          const [bodyB, headersB] = make();
          const a = await send(alone, path, bodyA, { ...headersA, ...id });
          const b = await send(shadow, path, bodyB, { ...headersB, ...id });
          assert.equal(b.status, a.status, path);
          assert.deepEqual(b.bytes, a.bytes, `${path} #${i}: same bytes`);
          const headers = (h: Headers) => [...h].filter(([k]) => !ignored.has(k));
          assert.deepEqual(headers(b.headers), headers(a.headers), `${path} #${i}: same headers`);
          assert.equal(b.headers.get("x-request-id"), id["x-request-id"]);
          if (a.status === 200) {
            assert.equal(a.version, production);
            scoredRows += i < 2 ? 1 : 50;
          }
        }
      }
      const report = (await until(
        () => info(shadow),
        (b) => b.release.shadow.compared >= scoredRows,
      )).release;
      assert.equal(report.mode, "shadow");
      assert.equal(report.shadow.compared, scoredRows);
      assert.ok(
        report.shadow.agreed > 0 && report.shadow.agreed < scoredRows,
        JSON.stringify(report),
      );
      assert.equal(
        report.shadow.agreement_rate,
        Math.round(report.shadow.agreed / scoredRows * 1e6) / 1e6,
      );
      assert.deepEqual(role(report, "candidate"), { requests: 15, errors: 0 });
      assert.equal(report.rolled_back, false);
    } finally {
      await Promise.all([alone.stop(), shadow.stop()]);
    }
  });
});

Deno.test("a failing candidate is rolled back after the minimum count, logged, and production takes all traffic until the alias moves", async () => {
  // The candidate takes 4 features: every row valid for production fails on it. One serving
  // thread: the judge then sees each count before the next request. (On several threads the
  // main thread judges their summed counts, and a thread may score a request or two more before
  // its word arrives: tests/function/serving_threads_test.ts covers that.)
  await withRelease(
    {
      FLUXOPS_RELEASE_MODE: "canary",
      FLUXOPS_CANARY_WEIGHT: "0.5",
      FLUXOPS_ROLLBACK_ERROR_RATE: "0.05",
      FLUXOPS_ROLLBACK_MIN_REQUESTS: "20",
      FLUXOPS_THREADS: "1",
    },
    modelJson(3, 4),
    async (pkg, v, registry) => {
      const buckets = bucketsFor(0.5);
      const subjects = Array.from({ length: 400 }, (_, i) => `subject-${i}`);
      const theirs = subjects.filter((s) => inShare(s, buckets));
      assert.ok(theirs.length > 100);
      // Sequential, so the rollback happens at exactly the 20th candidate request.
      for (const s of subjects.slice(0, 80)) {
        const a = await send(pkg, "/api/predict", ...predict(s));
        assert.equal(a.status, 200, "a client never sees the candidate's failure");
        assert.equal(a.version, v.production);
      }
      let report = (await info(pkg)).release;
      assert.equal(report.rolled_back, true, JSON.stringify(report));
      assert.deepEqual(role(report, "candidate"), { requests: 20, errors: 20 });
      assert.match(report.rolled_back_reason, /error rate 1 over 20 requests is above 0\.05/);
      assert.match(report.candidate_last_error, /expected 4 features, got 3/);
      // Log lines are written in batches every few milliseconds: wait for the event's.
      const logged = await until(
        () => Promise.resolve(pkg.stdout()),
        (out) => out.includes('"msg":"candidate_rolled_back"'),
      );
      const lines = logged.split("\n").filter((l) => l.startsWith("{") && l.endsWith("}"))
        .map((l) => JSON.parse(l));
      const event = lines.find((l) => l.msg === "candidate_rolled_back");
      assert.ok(event, "the rollback is logged");
      assert.equal(event.level, "error");
      assert.deepEqual(
        [event.candidate_version, event.error_rate, event.requests, event.errors],
        [v.candidate, 1, 20, 20],
      );
      assert.equal((await health(pkg)).candidate.rolled_back, true);

      // After the rollback the candidate gets nothing, even its own subjects.
      for (const s of theirs.slice(0, 40)) {
        assert.equal((await send(pkg, "/api/predict", ...predict(s))).version, v.production);
      }
      report = (await info(pkg)).release;
      assert.deepEqual(role(report, "candidate"), { requests: 20, errors: 20 });
      assert.equal(report.rolled_back, true);

      // The alias moves to a fixed candidate: routing resumes with fresh counts.
      const fixed = await publish(registry, modelJson(2), "candidate");
      await until(() => health(pkg), (b) => b.candidate?.model_version === fixed);
      const answers = await pool(
        theirs.length,
        4,
        (i) => send(pkg, "/api/predict", ...predict(theirs[i]!)),
      );
      assert.ok(answers.every((a) => a.version === fixed), "its subjects go to the new candidate");
      report = (await info(pkg)).release;
      assert.equal(report.rolled_back, false);
      assert.deepEqual(
        report.versions.filter((x: { role: string }) => x.role === "candidate")
          .map((
            x: { version: string; requests: number; errors: number },
          ) => [x.version, x.requests, x.errors]),
        [[v.candidate, 20, 20], [fixed, theirs.length, 0]],
      );
    },
  );
});

Deno.test("the package serves a candidate model file beside a production model file", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(join(dir, "production.json"), modelJson(1));
    await Deno.writeFile(join(dir, "candidate.json"), modelJson(2));
    const pkg = await startPackage({
      model: join(dir, "production.json"),
      env: {
        FLUXOPS_RELEASE_MODE: "canary",
        FLUXOPS_CANARY_WEIGHT: "1",
        FLUXOPS_CANDIDATE_MODEL: join(dir, "candidate.json"),
      },
    });
    try {
      const h = await health(pkg);
      const a = await send(pkg, "/api/predict", ...predict("anyone"));
      assert.equal(a.status, 200);
      assert.equal(a.version, h.candidate.model_version);
      assert.notEqual(a.version, h.model_version);
      assert.equal(h.candidate.alias, null);
    } finally {
      await pkg.stop();
    }
  });
});

Deno.test("the package refuses a bad release configuration at start-up with exit 2 and the reason", async () => {
  const cases: [Record<string, string>, RegExp][] = [
    [
      { FLUXOPS_RELEASE_MODE: "canary", FLUXOPS_CANARY_WEIGHT: "10" },
      /FLUXOPS_CANARY_WEIGHT: expected a fraction from 0 to 1/,
    ],
    [{ FLUXOPS_RELEASE_MODE: "blue" }, /FLUXOPS_RELEASE_MODE: expected off, canary or shadow/],
    [
      { FLUXOPS_RELEASE_MODE: "shadow", FLUXOPS_MODEL: "/nonexistent/model.json" },
      /FLUXOPS_CANDIDATE_MODEL: release mode shadow with a model file/,
    ],
  ];
  for (const [env, reason] of cases) {
    await assert.rejects(
      startPackage({ env: { FLUXOPS_STORE: "/nonexistent", ...env } }),
      (err: Error) => {
        assert.match(err.message, /exited with code 2 before answering/, JSON.stringify(env));
        assert.match(err.message, reason);
        return true;
      },
    );
  }
});
