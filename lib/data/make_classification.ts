/**
 * Synthetic classification data with scikit-learn's `make_classification` recipe: Gaussian
 * clusters at the vertices of a hypercube, redundant linear combinations and noise features.
 * @module
 */

import { InvalidInput } from "../errors.ts";
import type { Dataset } from "./dataset.ts";
import { Rng } from "./random.ts";

/** Options of {@linkcode makeClassification}; defaults follow scikit-learn, except the seed. */
export interface MakeClassificationOptions {
  /** Number of rows. Default 100. */
  nSamples?: number;
  /** Total number of features: informative + redundant + noise. Default 20. */
  nFeatures?: number;
  /** Features that carry the class signal. Default 2. */
  nInformative?: number;
  /** Random linear combinations of the informative features. Default 2. */
  nRedundant?: number;
  /** Number of classes, at least 2. Default 2. */
  nClasses?: number;
  /** Gaussian clusters per class. Default 2. */
  nClustersPerClass?: number;
  /** Half the side of the hypercube: larger separates the classes more. Default 1. */
  classSep?: number;
  /** Fraction of rows whose label is redrawn at random (noise). Default 0.01. */
  flipY?: number;
  /** Put cluster centres on the hypercube's vertices; false scales them randomly. Default true. */
  hypercube?: boolean;
  /** Shuffle the rows and the feature columns. Default true. */
  shuffle?: boolean;
  /** Seed of the generator. Default 42. */
  seed?: number;
}

/** The project's seed workload: 1,000 rows, 10 features, 2 classes, seed 42. */
export const SEED_WORKLOAD: Readonly<MakeClassificationOptions> = Object.freeze({
  nSamples: 1000,
  nFeatures: 10,
  nInformative: 5,
  nRedundant: 2,
  nClasses: 2,
  nClustersPerClass: 2,
  classSep: 1,
  flipY: 0.01,
  seed: 42,
});

/** Returns the seed workload dataset ({@linkcode SEED_WORKLOAD}). */
export function seedWorkload(): Dataset {
  return makeClassification(SEED_WORKLOAD);
}

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidInput(
      `makeClassification: ${name} must be an integer >= ${min}, got ${value}`,
    );
  }
}

/**
 * Picks `count` distinct vertices of the `dims`-dimensional unit hypercube, as 0/1 values
 * row-major (`count x dims`). Past 30 dimensions only the last 30 are kept distinct, as in
 * scikit-learn.
 */
function hypercubeVertices(count: number, dims: number, rng: Rng): Uint8Array {
  const out = new Uint8Array(count * dims);
  const extra = Math.max(0, dims - 30);
  const bits = dims - extra;
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < extra; j++) out[i * dims + j] = rng.int(2);
  }
  // Floyd's algorithm: `count` distinct integers below 2**bits in O(count).
  const size = 2 ** bits;
  const chosen = new Set<number>();
  for (let j = size - count; j < size; j++) {
    const t = rng.int(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  const vertices = [...chosen];
  rng.shuffle(vertices);
  vertices.forEach((v, i) => {
    for (let b = 0; b < bits; b++) out[i * dims + extra + b] = (v >>> (bits - 1 - b)) & 1;
  });
  return out;
}

/**
 * Generates a random n-class classification problem (scikit-learn's `make_classification`).
 *
 * Each class is made of `nClustersPerClass` Gaussian clusters centred on distinct vertices of a
 * hypercube of side `2 * classSep` in the informative subspace, each given a random covariance by
 * a random `[-1, 1)` matrix. Redundant features are random linear combinations of the
 * informative ones; the rest are standard normal noise. Then `flipY` of the labels are redrawn
 * and, with `shuffle`, rows and columns are permuted. Deterministic for a seed (but not
 * bit-identical to numpy's).
 *
 * @returns a dataset with features `f0`..`f{n-1}`, target `target` and classes `0..nClasses-1`.
 * @throws {InvalidInput} naming the option that is out of range or inconsistent.
 * @example
 * ```ts
 * import { makeClassification } from "./make_classification.ts";
 * const ds = makeClassification({ nSamples: 500, nFeatures: 8, nInformative: 3, seed: 7 });
 * console.log(ds.nRows, ds.nFeatures, ds.classes); // 500 8 [0, 1]
 * ```
 */
export function makeClassification({
  nSamples = 100,
  nFeatures = 20,
  nInformative = 2,
  nRedundant = 2,
  nClasses = 2,
  nClustersPerClass = 2,
  classSep = 1,
  flipY = 0.01,
  hypercube = true,
  shuffle = true,
  seed = 42,
}: MakeClassificationOptions = {}): Dataset {
  checkInteger("nSamples", nSamples, 1);
  checkInteger("nFeatures", nFeatures, 1);
  checkInteger("nInformative", nInformative, 1);
  checkInteger("nRedundant", nRedundant, 0);
  checkInteger("nClasses", nClasses, 2);
  checkInteger("nClustersPerClass", nClustersPerClass, 1);
  if (nInformative + nRedundant > nFeatures) {
    throw new InvalidInput(
      `makeClassification: nInformative (${nInformative}) + nRedundant (${nRedundant}) ` +
        `must not exceed nFeatures (${nFeatures})`,
    );
  }
  const nClusters = nClasses * nClustersPerClass;
  if (nClusters > 2 ** nInformative) {
    throw new InvalidInput(
      `makeClassification: nClasses (${nClasses}) * nClustersPerClass (${nClustersPerClass}) ` +
        `must not exceed 2**nInformative (${2 ** nInformative})`,
    );
  }
  if (!(Number.isFinite(classSep) && classSep >= 0)) {
    throw new InvalidInput(
      `makeClassification: classSep must be a finite number >= 0, got ${classSep}`,
    );
  }
  if (!(flipY >= 0 && flipY <= 1)) {
    throw new InvalidInput(`makeClassification: flipY must be in [0, 1], got ${flipY}`);
  }
  const rng = new Rng(seed);
  const nInf = nInformative;
  const nF = nFeatures;

  const centroids = new Float64Array(nClusters * nInf);
  hypercubeVertices(nClusters, nInf, rng).forEach((bit, i) => {
    centroids[i] = bit * 2 * classSep - classSep;
  });
  if (!hypercube) {
    for (let k = 0; k < nClusters; k++) {
      const s = rng.next();
      for (let j = 0; j < nInf; j++) centroids[k * nInf + j]! *= s;
    }
    for (let j = 0; j < nInf; j++) {
      const s = rng.next();
      for (let k = 0; k < nClusters; k++) centroids[k * nInf + j]! *= s;
    }
  }

  const x = new Float64Array(nSamples * nF);
  const y = new Int32Array(nSamples);
  for (let r = 0; r < nSamples; r++) {
    for (let j = 0; j < nInf; j++) x[r * nF + j] = rng.normal();
  }

  // Clusters take consecutive rows; the first (nSamples mod nClusters) get one row more.
  const z = new Float64Array(nInf);
  const a = new Float64Array(nInf * nInf);
  let start = 0;
  for (let k = 0; k < nClusters; k++) {
    const stop = start + Math.floor(nSamples / nClusters) + (k < nSamples % nClusters ? 1 : 0);
    for (let i = 0; i < a.length; i++) a[i] = 2 * rng.next() - 1;
    for (let r = start; r < stop; r++) {
      y[r] = k % nClasses;
      const row = r * nF;
      for (let i = 0; i < nInf; i++) z[i] = x[row + i]!;
      for (let j = 0; j < nInf; j++) {
        let s = centroids[k * nInf + j]!;
        for (let i = 0; i < nInf; i++) s += z[i]! * a[i * nInf + j]!;
        x[row + j] = s;
      }
    }
    start = stop;
  }

  if (nRedundant > 0) {
    const b = new Float64Array(nInf * nRedundant);
    for (let i = 0; i < b.length; i++) b[i] = 2 * rng.next() - 1;
    for (let r = 0; r < nSamples; r++) {
      const row = r * nF;
      for (let j = 0; j < nRedundant; j++) {
        let s = 0;
        for (let i = 0; i < nInf; i++) s += x[row + i]! * b[i * nRedundant + j]!;
        x[row + nInf + j] = s;
      }
    }
  }
  for (let r = 0; r < nSamples; r++) {
    for (let j = nInf + nRedundant; j < nF; j++) x[r * nF + j] = rng.normal();
  }

  const flip = new Uint8Array(nSamples);
  for (let r = 0; r < nSamples; r++) flip[r] = rng.next() < flipY ? 1 : 0;
  for (let r = 0; r < nSamples; r++) if (flip[r]) y[r] = rng.int(nClasses);

  const featureNames = Array.from({ length: nF }, (_, j) => `f${j}`);
  const classes = Array.from({ length: nClasses }, (_, c) => c);
  if (!shuffle) {
    return { featureNames, target: "target", nRows: nSamples, nFeatures: nF, x, y, classes };
  }

  const rows = Int32Array.from({ length: nSamples }, (_, i) => i);
  const cols = Int32Array.from({ length: nF }, (_, j) => j);
  rng.shuffle(rows);
  rng.shuffle(cols);
  const xs = new Float64Array(x.length);
  const ys = new Int32Array(nSamples);
  for (let r = 0; r < nSamples; r++) {
    const src = rows[r]! * nF;
    for (let j = 0; j < nF; j++) xs[r * nF + j] = x[src + cols[j]!]!;
    ys[r] = y[rows[r]!]!;
  }
  return { featureNames, target: "target", nRows: nSamples, nFeatures: nF, x: xs, y: ys, classes };
}
