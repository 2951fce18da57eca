import assert from "node:assert/strict";
import { InvalidInput } from "../../../lib/errors.ts";
import { predictClass } from "../../../lib/forest/predict.ts";
import { parseInstances } from "../../../function/serving/instances.ts";
import { ModelHolder, type ServedModel } from "../../../function/serving/model_holder.ts";
import { Release, type ReleaseLog, type Scored } from "../../../function/serving/release.ts";
import type { ReleaseConfig } from "../../../function/serving/release_config.ts";
import { bucketsFor, inShare } from "../../../function/serving/sticky_bucket.ts";
import { smallModel } from "../../support/models.ts";

const PRODUCTION = smallModel({ nFeatures: 3, seed: 1 });
const CANDIDATE = smallModel({ nFeatures: 3, seed: 2 });
/** Valid for production, refused by this candidate: it takes four features. */
const WIDER = smallModel({ nFeatures: 4, seed: 3 });

const BASE: ReleaseConfig = {
  mode: "canary",
  candidateAlias: "candidate",
  candidateModel: undefined,
  weight: 0.1,
  stickyHeader: "x-fluxops-subject",
  rollbackErrorRate: 0.05,
  rollbackMinRequests: 50,
};

interface Logged {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

function setup(config: Partial<ReleaseConfig> = {}, candidate = CANDIDATE, maxPendingShadow = 16) {
  const production = new ModelHolder();
  production.set(PRODUCTION);
  const candidateHolder = new ModelHolder();
  candidateHolder.set(candidate);
  const logs: Logged[] = [];
  const log: ReleaseLog = (level, msg, fields = {}) => logs.push({ level, msg, fields });
  const release = new Release({
    config: { ...BASE, ...config },
    production,
    candidate: candidateHolder,
    log,
    maxPendingShadow,
  });
  return { release, production: production.served!, candidateHolder, logs };
}

interface Rows extends Scored {
  readonly labels: unknown[];
}

/** Scores a request body as the REST route does. */
const scorer = (body: unknown) => (served: ServedModel): Rows => {
  const rows = parseInstances(body, {
    features: served.model.featureNames,
    maxInstances: 100,
    index: served.index,
  });
  const predicted = predictClass(served.model.forest, rows.x, rows.nRows);
  return {
    served,
    predicted,
    labels: Array.from(predicted, (c) => served.model.artifact.classes[c]),
  };
};

const ROW = { features: [0.5, -1, 2] };
const versionOf = (s: Scored) => s.served.model.artifact.version;
const counts = (release: Release, role: string) =>
  release.report().versions.find((v) => v.role === role) ?? { requests: 0, errors: 0 };

Deno.test("a 10% canary answers exactly the keys in its buckets, 10% +/- 3 points of 2,000", () => {
  const { release, production } = setup();
  const buckets = bucketsFor(0.1);
  let toCandidate = 0;
  for (let i = 0; i < 2000; i++) {
    const key = `subject-${i}`;
    const out = release.score(key, production, scorer(ROW));
    const candidate = versionOf(out) === CANDIDATE.artifact.version;
    assert.equal(candidate, inShare(key, buckets), key);
    if (candidate) toCandidate++;
  }
  assert.ok(Math.abs(toCandidate / 2000 - 0.1) <= 0.03, `${toCandidate} of 2000`);
  assert.equal(counts(release, "candidate").requests, toCandidate);
  assert.equal(counts(release, "production").requests, 2000 - toCandidate);
});

Deno.test("the same key always gets the same version", () => {
  const { release, production } = setup({ weight: 0.5 });
  for (const key of ["alice", "bob", "carol", "dave", "erin", "frank"]) {
    const first = versionOf(release.score(key, production, scorer(ROW)));
    for (let i = 0; i < 50; i++) {
      assert.equal(versionOf(release.score(key, production, scorer(ROW))), first, key);
    }
  }
});

Deno.test("weight 0 sends nothing to the candidate and weight 1 everything", () => {
  for (const [weight, want] of [[0, PRODUCTION], [1, CANDIDATE]] as const) {
    const { release, production } = setup({ weight });
    for (let i = 0; i < 200; i++) {
      assert.equal(
        versionOf(release.score(`k${i}`, production, scorer(ROW))),
        want.artifact.version,
      );
    }
  }
});

Deno.test("without a loaded candidate production answers everything and nothing is counted for it", () => {
  const production = new ModelHolder();
  production.set(PRODUCTION);
  const release = new Release({
    config: { ...BASE, weight: 1 },
    production,
    candidate: new ModelHolder(),
  });
  for (let i = 0; i < 20; i++) {
    const out = release.score(`k${i}`, production.served!, scorer(ROW));
    assert.equal(versionOf(out), PRODUCTION.artifact.version);
  }
  assert.deepEqual(release.report().versions.map((v) => [v.role, v.requests]), [[
    "production",
    20,
  ]]);
  assert.equal(release.report().candidate_version, null);
  assert.equal(release.health().model_version, null);
});

Deno.test("input both models refuse is the client's error: it is thrown and not counted as an error", () => {
  const { release, production } = setup({ weight: 1 });
  assert.throws(
    () => release.score("k", production, scorer({ features: [1, 2] })),
    (err: unknown) => err instanceof InvalidInput && /expected 3 features, got 2/.test(err.message),
  );
  assert.deepEqual(counts(release, "candidate"), {
    version: CANDIDATE.artifact.version,
    role: "candidate",
    requests: 1,
    errors: 0,
  });
  assert.equal(counts(release, "production").errors, 0);
});

Deno.test("a candidate failing on input production accepts is an error, and production answers", () => {
  const { release, production } = setup({ weight: 1 }, WIDER);
  const out = release.score("k", production, scorer(ROW));
  assert.equal(versionOf(out), PRODUCTION.artifact.version);
  assert.deepEqual(out.labels, scorer(ROW)(production).labels);
  assert.equal(counts(release, "candidate").errors, 1);
  assert.equal(counts(release, "production").requests, 1);
  assert.match(release.report().candidate_last_error ?? "", /expected 4 features, got 3/);
});

Deno.test("a candidate crash is an error even when production refuses the input too", () => {
  const { release, production } = setup({ weight: 1 });
  const crashy = (served: ServedModel): Rows => {
    if (served !== production) throw new TypeError("boom");
    throw new InvalidInput("features: expected 3 features, got 2");
  };
  assert.throws(() => release.score("k", production, crashy), InvalidInput);
  assert.equal(counts(release, "candidate").errors, 1);
});

Deno.test("the candidate is rolled back once its error rate passes the threshold after the minimum count", () => {
  // Threshold 0.25 and minimum 8: 2 errors in 8 is 0.25, not over; the ninth request's error
  // (3 in 9) is.
  const { release, production, logs } = setup({
    weight: 1,
    rollbackErrorRate: 0.25,
    rollbackMinRequests: 8,
  });
  let fail = false;
  const flaky = (served: ServedModel): Rows => {
    if (fail && served !== production) throw new Error("candidate crashed");
    return scorer(ROW)(served);
  };
  const plan = [true, true, false, false, false, false, false, false];
  for (const f of plan) {
    fail = f;
    release.score("k", production, flaky);
  }
  assert.equal(release.report().rolled_back, false, "2 of 8 is not over 0.25");
  fail = true;
  release.score("k", production, flaky);
  const report = release.report();
  assert.equal(report.rolled_back, true);
  assert.match(
    report.rolled_back_reason ?? "",
    /error rate 0\.3333 over 9 requests is above 0\.25/,
  );
  const event = logs.find((l) => l.msg === "candidate_rolled_back");
  assert.ok(event, JSON.stringify(logs));
  assert.equal(event.level, "error");
  assert.deepEqual(
    [
      event.fields.candidate_version,
      event.fields.error_rate,
      event.fields.requests,
      event.fields.errors,
    ],
    [CANDIDATE.artifact.version, 0.3333, 9, 3],
  );
  fail = false;
  for (let i = 0; i < 20; i++) {
    assert.equal(versionOf(release.score(`k${i}`, production, flaky)), PRODUCTION.artifact.version);
  }
  assert.equal(counts(release, "candidate").requests, 9);
  assert.equal(release.health().rolled_back, true);
});

Deno.test("no rollback before the minimum count, however many errors", () => {
  const { release, production, logs } = setup({ weight: 1, rollbackMinRequests: 50 }, WIDER);
  for (let i = 0; i < 49; i++) release.score(`k${i}`, production, scorer(ROW));
  assert.equal(counts(release, "candidate").errors, 49);
  assert.equal(release.report().rolled_back, false);
  release.score("k49", production, scorer(ROW));
  assert.equal(release.report().rolled_back, true);
  assert.equal(logs.filter((l) => l.msg === "candidate_rolled_back").length, 1);
});

Deno.test("a rolled-back candidate stays out until the candidate moves to another version", () => {
  const { release, production, candidateHolder, logs } = setup(
    { weight: 1, rollbackMinRequests: 5 },
    WIDER,
  );
  for (let i = 0; i < 5; i++) release.score(`k${i}`, production, scorer(ROW));
  assert.equal(release.report().rolled_back, true);
  candidateHolder.set(CANDIDATE);
  const out = release.score("k", production, scorer(ROW));
  assert.equal(versionOf(out), CANDIDATE.artifact.version);
  const report = release.report();
  assert.equal(report.rolled_back, false);
  assert.equal(report.candidate_last_error, null);
  assert.deepEqual(
    report.versions.filter((v) => v.role === "candidate").map((v) => [v.version, v.requests]),
    [[WIDER.artifact.version, 5], [CANDIDATE.artifact.version, 1]],
  );
  const resumed = logs.findLast((l) => l.msg === "candidate_changed");
  assert.equal(resumed?.fields.resumed_after_rollback, true);
});

Deno.test("shadow mode returns production's answer untouched and compares labels later", async () => {
  const { release, production } = setup({ mode: "shadow", weight: 0 });
  const body = { instances: Array.from({ length: 40 }, (_, i) => [i / 10 - 2, 1 - i / 20, i % 3]) };
  const alone = scorer(body)(production);
  const candidateLabels = scorer(body)(setup().candidateHolder.served!).labels;
  const agree = alone.labels.filter((l, i) => l === candidateLabels[i]).length;
  for (let i = 0; i < 3; i++) {
    const out = release.score(`k${i}`, production, scorer(body));
    assert.equal(out.served, production);
    assert.deepEqual(out.labels, alone.labels);
    assert.deepEqual(out.predicted, alone.predicted);
  }
  assert.equal(release.report().shadow?.compared, 0, "nothing is compared before the response");
  await release.settled();
  const shadow = release.report().shadow!;
  assert.equal(shadow.compared, 120);
  assert.equal(shadow.agreed, 3 * agree);
  assert.equal(shadow.agreement_rate, Math.round((agree / 40) * 1e6) / 1e6);
  assert.ok(agree < 40, "the two models disagree on some rows, so the test can tell");
  assert.equal(counts(release, "candidate").requests, 3);
  assert.equal(counts(release, "production").requests, 3);
});

Deno.test("in shadow mode a failing candidate never changes the response and is rolled back", async () => {
  const { release, production, logs } = setup(
    { mode: "shadow", rollbackMinRequests: 10 },
    WIDER,
  );
  const alone = scorer(ROW)(production);
  for (let i = 0; i < 12; i++) {
    const out = release.score(`k${i}`, production, scorer(ROW));
    assert.deepEqual(out.labels, alone.labels);
    assert.equal(out.served, production);
    await release.settled();
  }
  const report = release.report();
  assert.equal(report.rolled_back, true);
  assert.equal(counts(release, "candidate").requests, 10, "no shadow scoring after the rollback");
  assert.equal(report.shadow?.compared, 0);
  assert.ok(logs.some((l) => l.msg === "candidate_rolled_back"));
});

Deno.test("shadow scoring is bounded: requests over the limit are skipped and counted", async () => {
  const { release, production } = setup({ mode: "shadow" }, CANDIDATE, 4);
  for (let i = 0; i < 10; i++) release.score(`k${i}`, production, scorer(ROW));
  await release.settled();
  const shadow = release.report().shadow!;
  assert.equal(shadow.compared, 4);
  assert.equal(shadow.skipped, 6);
});

Deno.test("production errors that are not the client's are counted for production", () => {
  const { release, production } = setup({ weight: 0 });
  assert.throws(() =>
    release.score("k", production, () => {
      throw new Error("forest corrupt");
    }), /forest corrupt/);
  assert.deepEqual([counts(release, "production").requests, counts(release, "production").errors], [
    1,
    1,
  ]);
});

/** A serving thread's release: same models, counts sent to `main`, no judging of its own. */
function threadOf(main: ReturnType<typeof setup>, config: Partial<ReleaseConfig> = {}) {
  const production = new ModelHolder();
  production.set(PRODUCTION);
  const candidate = new ModelHolder();
  candidate.set(main.candidateHolder.served!.model);
  let errors = 0;
  const release = new Release({
    config: { ...BASE, ...config },
    production,
    candidate,
    judge: false,
    onCandidateError: () => errors++,
  });
  return { release, production: production.served!, errors: () => errors };
}

Deno.test("a serving thread's counts reach the main thread once each, and only what changed", () => {
  const main = setup({ weight: 1 });
  const thread = threadOf(main, { weight: 1 });
  for (let i = 0; i < 5; i++) thread.release.score(`s${i}`, thread.production, scorer(ROW));
  const first = thread.release.takeCounts();
  assert.deepEqual(
    first.versions.map((v) => [v.role, v.requests, v.errors]),
    [["candidate", 5, 0]],
  );
  assert.deepEqual(thread.release.takeCounts().versions, [], "nothing new, nothing sent");
  main.release.addCounts(first);
  thread.release.score("s9", thread.production, scorer(ROW));
  main.release.addCounts(thread.release.takeCounts());
  assert.deepEqual(counts(main.release, "candidate"), {
    version: CANDIDATE.artifact.version,
    role: "candidate",
    requests: 6,
    errors: 0,
  });
});

Deno.test("the main thread rolls back on the sum of every thread's counts, and tells the threads", () => {
  const events: unknown[] = [];
  const production = new ModelHolder();
  production.set(PRODUCTION);
  const candidateHolder = new ModelHolder();
  candidateHolder.set(WIDER);
  const logs: Logged[] = [];
  const main = new Release({
    config: { ...BASE, weight: 1, rollbackMinRequests: 10 },
    production,
    candidate: candidateHolder,
    log: (level, msg, fields = {}) => logs.push({ level, msg, fields }),
    onRollback: (e) => events.push(e),
  });
  const threads = [0, 1].map(() =>
    threadOf({ candidateHolder } as ReturnType<typeof setup>, {
      weight: 1,
      rollbackMinRequests: 10,
    })
  );
  // Six failing requests on each thread: neither judges, and 6 < 10 alone.
  for (const t of threads) {
    for (let i = 0; i < 6; i++) {
      const out = t.release.score(`s${i}`, t.production, scorer(ROW));
      assert.equal(versionOf(out), PRODUCTION.artifact.version, "production answers instead");
    }
    assert.equal(t.errors(), 6, "each error is signalled at once");
    assert.equal(t.release.report().rolled_back, false, "a serving thread never judges");
  }
  main.addCounts(threads[0]!.release.takeCounts());
  assert.equal(events.length, 0);
  main.addCounts(threads[1]!.release.takeCounts());
  assert.equal(events.length, 1, "12 requests, all failed: rolled back");
  assert.equal(logs.filter((l) => l.msg === "candidate_rolled_back").length, 1);
  const report = main.report();
  assert.equal(report.rolled_back, true);
  assert.match(report.candidate_last_error ?? "", /expected 4 features, got 3/);
  for (const t of threads) {
    t.release.rollBack(events[0] as Parameters<Release["rollBack"]>[0]);
    assert.equal(t.release.report().rolled_back, true);
    const out = t.release.score("s1", t.production, scorer(ROW));
    assert.equal(versionOf(out), PRODUCTION.artifact.version);
  }
  assert.deepEqual(
    threads[0]!.release.takeCounts().versions.map((v) => [v.role, v.requests]),
    [["production", 1]],
    "after the rollback the candidate gets nothing",
  );
});

Deno.test("shadow comparisons of a serving thread are added to the main thread's figures", async () => {
  const main = setup({ mode: "shadow", weight: 0 });
  const thread = threadOf(main, { mode: "shadow", weight: 0 });
  for (let i = 0; i < 4; i++) thread.release.score(`s${i}`, thread.production, scorer(ROW));
  await thread.release.settled();
  main.release.addCounts(thread.release.takeCounts());
  const shadow = main.release.report().shadow!;
  assert.equal(shadow.compared, 4);
  assert.equal(shadow.agreed + (4 - shadow.agreed), 4);
  assert.equal(thread.release.takeCounts().compared, 0, "sent once");
});
