/**
 * Drift detection in the packaged function, started as the Azure Functions host starts it:
 * rows drawn like the training data, then the same stream with one feature shifted by two
 * standard deviations, sent over real HTTP. The shifted feature drifts (its chi-square p-value
 * falls under alpha / features) and no other does; the drift is logged on stdout once.
 *
 * Why this is safe and deterministic: the rows are a seeded bootstrap of the seed workload the
 * model was trained on, so unshifted windows alarm in well under 1% of cases (docs/benchmarks.md,
 * "Drift: per-row cost and minimum window"), and the seed is fixed; a two-sigma shift puts most
 * rows in the top decile, a p-value far below any threshold.
 */
import assert from "node:assert/strict";
import { seedWorkload } from "../../lib/data/make_classification.ts";
import { Rng } from "../../lib/data/random.ts";
import { withTempDir } from "../support/fixtures.ts";
import { ensurePackage, startPackage, trainModel } from "../support/package.ts";

const SHIFTED = 3;
const BATCH = 25;

interface DriftBody {
  window: number;
  overall_psi: number;
  status: string;
  model_version: string;
  ready: boolean;
  dataset_drift: boolean;
  features: Record<string, { psi: number; status: string; drifted: boolean }>;
}

Deno.test("the packaged function sees one shifted feature drift and logs the alert once", async () => {
  await ensurePackage();
  await withTempDir(async (dir) => {
    const modelPath = await trainModel(dir);
    const doc = JSON.parse(await Deno.readTextFile(modelPath));
    const names: string[] = doc.features.map((f: { name: string }) => f.name);
    const shiftBy = 2 * doc.features[SHIFTED].std;
    const data = seedWorkload();
    const p = data.nFeatures;
    assert.deepEqual([...data.featureNames], names);
    const rng = new Rng(2026);
    const draw = (shift: number): number[] => {
      const i = rng.int(data.nRows);
      const row = Array.from(data.x.subarray(i * p, (i + 1) * p));
      row[SHIFTED]! += shift;
      return row;
    };

    const pkg = await startPackage({ model: modelPath });
    let stopped = false;
    try {
      const send = async (rows: number, shift: number) => {
        for (let sent = 0; sent < rows; sent += BATCH) {
          const instances = Array.from({ length: BATCH }, () => draw(shift));
          // Half the batches through the REST API, half through the Open Inference Protocol.
          const v2 = (sent / BATCH) % 2 === 1;
          const res = await fetch(
            `${pkg.url}${v2 ? "/v2/models/fluxops/infer" : "/api/predict"}`,
            {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify(
                v2
                  ? {
                    inputs: [{
                      name: "x",
                      shape: [BATCH, p],
                      datatype: "FP64",
                      data: instances.flat(),
                    }],
                  }
                  : { instances },
              ),
            },
          );
          assert.equal(res.status, 200, await res.text());
        }
      };
      const drift = async (): Promise<DriftBody> => {
        const res = await fetch(`${pkg.url}/api/drift`);
        assert.equal(res.status, 200);
        return await res.json();
      };

      await send(1000, 0);
      const before = await drift();
      assert.equal(before.window, 1000);
      assert.equal(before.ready, true);
      assert.equal(before.model_version, doc.version);
      for (const [name, f] of Object.entries(before.features)) {
        assert.ok(f.psi < 0.1, `before the shift, ${name}: PSI ${f.psi}`);
        assert.equal(f.drifted, false, `before the shift, ${name}`);
      }

      await send(1000, shiftBy);
      const after = await drift();
      assert.equal(after.window, 1000);
      assert.equal(after.status, "alert");
      assert.equal(after.dataset_drift, false, "one feature of ten");
      for (const [name, f] of Object.entries(after.features)) {
        if (name === names[SHIFTED]) {
          assert.ok(f.psi > 0.25, `shifted ${name}: PSI ${f.psi}`);
          assert.equal(f.drifted, true);
          assert.equal(f.status, "alert");
        } else {
          assert.ok(f.psi < 0.1, `unshifted ${name}: PSI ${f.psi}`);
          assert.equal(f.drifted, false, `unshifted ${name}`);
        }
      }
      console.log(
        `PSI after the shift: ${
          Object.entries(after.features).map(([n, f]) => `${n} ${f.psi.toFixed(4)}`).join(", ")
        }`,
      );

      await pkg.stop();
      stopped = true;
      const events = pkg.stdout().split("\n").filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l)).filter((e) => e.msg === "drift");
      const alerts = events.filter((e) => e.status === "alert");
      assert.equal(alerts.length, 1, JSON.stringify(events));
      const numbers = {
        psi: undefined,
        js_distance: undefined,
        chi2_p_value: undefined,
        share_drifted: undefined,
      };
      assert.deepEqual(
        { ...alerts[0], time: undefined, ...numbers },
        {
          time: undefined,
          level: "error",
          msg: "drift",
          feature: names[SHIFTED],
          status: "alert",
          previous: "ok",
          drifted: true,
          ...numbers,
          dataset_drift: false,
          model_version: doc.version,
          window: 1000,
        },
      );
      assert.ok(alerts[0].chi2_p_value < 0.005 / names.length);
      assert.equal(alerts[0].share_drifted, 1 / names.length);
      assert.ok(events.every((e) => e.feature === names[SHIFTED]), JSON.stringify(events));
    } finally {
      if (!stopped) await pkg.stop();
    }
  });
});
