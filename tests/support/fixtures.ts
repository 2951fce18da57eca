/**
 * Small datasets shared by the tests.
 * @module
 */
import type { Dataset } from "../../lib/data/dataset.ts";
import { makeClassification } from "../../lib/data/make_classification.ts";
import type { TrainingData } from "../../lib/forest/train.ts";

/** A dataset as the engines take it. */
export function asTraining(ds: Dataset): TrainingData {
  return { ...ds, nClasses: ds.classes.length };
}

/** Well-separated synthetic data that any forest should learn almost perfectly. */
export function easyData(nClasses = 2, nSamples = 300, seed = 7): Dataset {
  return makeClassification({
    nSamples,
    nFeatures: 6,
    nInformative: 4,
    nRedundant: 1,
    nClasses,
    classSep: 3,
    flipY: 0,
    seed,
  });
}

/** Creates a temporary folder, runs `fn` in it, and removes it. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "fluxops-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Lists a folder's entries, sorted. */
export async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}
