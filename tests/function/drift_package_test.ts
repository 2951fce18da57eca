/**
 * Drift detection in the packaged function, started as the Azure Functions host starts it:
 * rows drawn like the training data, then the same stream with one feature shifted by two
 * standard deviations, sent over real HTTP. The shifted feature's PSI goes above 0.25 and every
 * other feature's stays under 0.1; the alert is logged on stdout once.
 *
 * Why this is safe and deterministic: the rows are a seeded bootstrap of the seed workload the
 * model was trained on, so the window (1,000 rows, the default) of unshifted rows has a PSI near
 * (10 − 1) / 1,000 ≈ 0.01 per feature (plus the training split's own sampling error), an order of
 * magnitude under 0.1; a two-sigma shift puts most rows in the top decile, a PSI above 1.
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
  features: Record<string, { psi: number; status: string }>;
}

Deno.test("the packaged function sees one shifted feature drift past 0.25 and logs the alert once", async () => {
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
      }

      await send(1000, shiftBy);
      const after = await drift();
      assert.equal(after.window, 1000);
      assert.equal(after.status, "alert");
      for (const [name, f] of Object.entries(after.features)) {
        if (name === names[SHIFTED]) {
          assert.ok(f.psi > 0.25, `shifted ${name}: PSI ${f.psi}`);
          assert.equal(f.status, "alert");
        } else {
          assert.ok(f.psi < 0.1, `unshifted ${name}: PSI ${f.psi}`);
          assert.equal(f.status, "ok");
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
      assert.deepEqual(
        { ...alerts[0], time: undefined, psi: undefined },
        {
          time: undefined,
          level: "error",
          msg: "drift",
          feature: names[SHIFTED],
          psi: undefined,
          status: "alert",
          previous: alerts[0].previous,
          model_version: doc.version,
          window: 1000,
        },
      );
      assert.ok(alerts[0].psi >= 0.25);
      assert.ok(events.every((e) => e.feature === names[SHIFTED]), JSON.stringify(events));
    } finally {
      if (!stopped) await pkg.stop();
    }
  });
});
