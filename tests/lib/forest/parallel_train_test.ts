import assert from "node:assert/strict";
import { makeClassification, SEED_WORKLOAD } from "../../../lib/data/make_classification.ts";
import { InvalidInput, WorkerFailed } from "../../../lib/errors.ts";
import { defaultWorkers, trainForestParallel } from "../../../lib/forest/parallel_train.ts";
import { trainForest } from "../../../lib/forest/train.ts";
import { asTraining } from "../../support/fixtures.ts";
import { forestDigest } from "../../support/forest_digest.ts";
import { workersEnded, workerThreads } from "../../support/threads.ts";

const data = asTraining(
  makeClassification({ ...SEED_WORKLOAD, nSamples: 3000, nClasses: 3, flipY: 0.05, seed: 11 }),
);
const params = { n_estimators: 13, seed: 7 };

Deno.test("trainForestParallel() gives the same forest, byte for byte, for any worker count", async () => {
  const expected = trainForest(data, params);
  const before = workerThreads();
  for (const workers of [1, 2, 3, 7]) {
    const forest = await trainForestParallel(data, params, { workers });
    assert.equal(forestDigest(forest), forestDigest(expected), `${workers} workers`);
    assert.deepEqual(forest, expected);
  }
  await workersEnded(before);
});

Deno.test("trainForestParallel() reports progress once per tree, counting up to the total", async () => {
  const calls: [number, number][] = [];
  await trainForestParallel(data, params, {
    workers: 3,
    onTree: (done, total) => calls.push([done, total]),
  });
  assert.deepEqual(calls, Array.from({ length: 13 }, (_, i) => [i + 1, 13]));
});

Deno.test("trainForestParallel() uses as many workers as CPUs by default", async () => {
  assert.equal(defaultWorkers(), navigator.hardwareConcurrency);
  const forest = await trainForestParallel(data, { n_estimators: 3 });
  assert.equal(forestDigest(forest), forestDigest(trainForest(data, { n_estimators: 3 })));
});

const badWorkers: number[] = [0, -2, 1.5, NaN];
for (const workers of badWorkers) {
  Deno.test(`trainForestParallel() rejects workers: ${workers} before starting one`, async () => {
    await assert.rejects(trainForestParallel(data, params, { workers }), (err: unknown) => {
      assert.ok(err instanceof InvalidInput);
      assert.equal(err.code, "invalid_input");
      assert.match(err.message, /^workers: expected an integer >= 1/);
      return true;
    });
  });
}

Deno.test("trainForestParallel() rejects bad data and parameters with their own errors", async () => {
  await assert.rejects(
    trainForestParallel({ ...data, y: new Int32Array(2) }, params, { workers: 2 }),
    (err: unknown) => err instanceof InvalidInput && /y has 2 labels/.test(err.message),
  );
  await assert.rejects(
    trainForestParallel(data, { n_estimators: 3, seed: 2 ** 53 }, { workers: 2 }),
    (err: unknown) => err instanceof InvalidInput && /^seed:/.test(err.message),
  );
});

Deno.test("trainForestParallel() ends every worker and rejects when aborted", async () => {
  const before = workerThreads();
  const controller = new AbortController();
  const reason = new Error("stop");
  let seen = 0;
  await assert.rejects(
    trainForestParallel(data, { n_estimators: 200 }, {
      workers: 2,
      signal: controller.signal,
      onTree: (done) => {
        seen = done;
        if (done === 2) controller.abort(reason);
      },
    }),
    (err: unknown) => err === reason,
  );
  assert.equal(seen, 2);
  await workersEnded(before);
  await assert.rejects(
    trainForestParallel(data, params, { signal: AbortSignal.abort() }),
    (err: unknown) => err instanceof DOMException && err.name === "AbortError",
  );
});

Deno.test("trainForestParallel() ends every worker and rejects with WorkerFailed when one crashes", async () => {
  const before = workerThreads();
  await assert.rejects(
    trainForestParallel(data, params, {
      workers: 1,
      workerUrl: new URL("../../support/crashing_train_worker.ts", import.meta.url),
    }),
    (err: unknown) => {
      assert.ok(err instanceof WorkerFailed);
      assert.equal(err.code, "unavailable");
      assert.match(err.message, /^training worker 0 failed: .*simulated crash/);
      return true;
    },
  );
  await workersEnded(before);
});

Deno.test("trainForestParallel() keeps an input error a worker reports, and wraps any other", async () => {
  const workerUrl = new URL("../../support/failing_train_worker.ts", import.meta.url);
  await assert.rejects(
    trainForestParallel(data, { seed: 1 }, { workers: 2, workerUrl }),
    (err: unknown) => err instanceof InvalidInput && err.message === "simulated failure",
  );
  await assert.rejects(
    trainForestParallel(data, { seed: 2 }, { workers: 1, workerUrl }),
    (err: unknown) =>
      err instanceof WorkerFailed &&
      err.message === "training worker 0 failed on tree 0: TypeError: simulated failure",
  );
});

Deno.test("trainForestParallel() ends every worker when the progress callback throws", async () => {
  const before = workerThreads();
  const oops = new Error("callback failed");
  await assert.rejects(
    trainForestParallel(data, params, {
      workers: 2,
      onTree: () => {
        throw oops;
      },
    }),
    (err: unknown) => err === oops,
  );
  await workersEnded(before);
});
