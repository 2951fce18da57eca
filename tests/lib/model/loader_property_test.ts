/**
 * Property tests (fast-check) of the model loader: random bytes, random JSON and mutated valid
 * model files. It throws only typed FluxOps errors (InvalidModel, IntegrityError), never accepts
 * content its checksum does not match, and whatever it accepts is a model that predicts safely.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import { FluxError } from "../../../lib/errors.ts";
import { predictProba } from "../../../lib/forest/predict.ts";
import {
  type LoadedModel,
  loadModel,
  MODEL_FORMAT,
  parseModel,
  serializeModel,
} from "../../../lib/model/artifact.ts";
import { canonicalJson, sha256Hex } from "../../../lib/model/canonical.ts";
import { withTempDir } from "../../support/fixtures.ts";
import { smallModel } from "../../support/models.ts";

/** Runs per property; `FLUXOPS_FC_RUNS` raises it for a longer search. */
const RUNS = Number(Deno.env.get("FLUXOPS_FC_RUNS") ?? 300);
const SOURCE = "fuzz/model.json";

const valid = smallModel({ nFeatures: 3, classes: ["ham", "spam", "eggs"], trees: 3 });
const VALID_TEXT = serializeModel(valid.artifact);
const VALID = JSON.parse(VALID_TEXT) as Record<string, unknown>;

/** The checksum the loader expects: SHA-256 of the canonical JSON of every other field. */
function withChecksum(doc: Record<string, unknown>): string {
  const { sha256: _, ...rest } = doc;
  return JSON.stringify({ ...rest, sha256: sha256Hex(canonicalJson(rest)) });
}

/** The content a checksum covers, for comparing what was loaded with what was saved. */
function content(doc: unknown): string {
  const { sha256: _, ...rest } = doc as Record<string, unknown>;
  return canonicalJson(rest);
}

/** Loads, or returns the typed error; anything else thrown fails the property. */
function load(text: string): LoadedModel | FluxError {
  try {
    return parseModel(text, SOURCE);
  } catch (err) {
    if (!(err instanceof FluxError)) {
      throw new Error(`not a FluxError: ${err instanceof Error ? err.stack : String(err)}`);
    }
    assert.ok(["invalid_model", "integrity_error"].includes(err.code), err.code);
    assert.ok(err.message.startsWith(SOURCE), `does not name the file: ${err.message}`);
    return err;
  }
}

/** What an accepted model must be: consistent, unambiguous, and safe to predict with. */
function assertUsable(model: LoadedModel, rows: readonly number[]): void {
  const { artifact, forest, featureNames } = model;
  const k = artifact.classes.length;
  const p = featureNames.length;
  assert.equal(forest.nClasses, k);
  assert.equal(forest.nFeatures, p);
  assert.equal(new Set(featureNames).size, p, "duplicate feature names");
  assert.equal(new Set(artifact.classes.map(String)).size, k, "duplicate class labels");
  const n = Math.floor(rows.length / p);
  if (n === 0) return;
  const proba = predictProba(forest, Float64Array.from(rows.slice(0, n * p)), n);
  assert.equal(proba.length, n * k);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const v = proba[i * k + c]!;
      assert.ok(v >= 0 && v <= 1, `probability ${v}`);
      sum += v;
    }
    assert.ok(Math.abs(sum - 1) < 1e-9, `probabilities sum to ${sum}`);
  }
}

const featureRows = fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), {
  minLength: 3,
  maxLength: 12,
});

/** Every path to a value in a JSON document, but the checksum's own. */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = at.length > 0 ? [at] : [];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...at, i])));
  else if (value && typeof value === "object") {
    for (const [key, v] of Object.entries(value)) {
      if (at.length === 0 && key === "sha256") continue;
      out.push(...paths(v, [...at, key]));
    }
  }
  return out;
}
const PATHS = paths(VALID);

/** A copy of `doc` with the value at `path` replaced (or, for `undefined`, removed). */
function setAt(doc: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}

/** Replacement values: any JSON, near misses of numbers, and the file's own values elsewhere. */
const replacement: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(undefined, null, 0, -1, 1, 2, 1e308, -0.5, 0.5, "", "AAAA", [], {}),
  fc.integer({ min: -3, max: 40 }),
  fc.constantFrom(...PATHS).map((p) => p.reduce((v: unknown, k) => (v as never)[k], VALID)),
);

/** A base64 typed array of the forest with one byte changed: a subtle structural corruption. */
const forestByte = fc.record({
  field: fc.constantFrom("tree_offsets", "feature", "threshold", "right", "leaf_values"),
  at: fc.nat(),
  byte: fc.integer({ min: 0, max: 255 }),
}).map(({ field, at, byte }) => {
  const forest = VALID.forest as Record<string, string>;
  const bytes = Uint8Array.fromBase64(forest[field]!);
  bytes[at % bytes.length] = byte;
  return setAt(VALID, ["forest", field], bytes.toBase64());
});

Deno.test("parseModel() throws only typed errors for random bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      const got = load(new TextDecoder().decode(bytes));
      assert.ok(got instanceof FluxError, "random bytes loaded as a model");
    }),
    { numRuns: RUNS },
  );
});

Deno.test("parseModel() throws only typed errors for random JSON, with or without a valid checksum", () => {
  const doc = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.dictionary(fc.constantFrom(...Object.keys(VALID)), fc.jsonValue({ maxDepth: 2 }))
      .map((d) => ({ ...d, format: MODEL_FORMAT })),
  );
  fc.assert(
    fc.property(doc, fc.boolean(), featureRows, (value, checksum, rows) => {
      const isObject = value !== null && typeof value === "object" && !Array.isArray(value);
      const text = checksum && isObject
        ? withChecksum(value as Record<string, unknown>)
        : JSON.stringify(value);
      const got = load(text);
      if (!(got instanceof FluxError)) assertUsable(got, rows);
    }),
    { numRuns: RUNS },
  );
});

Deno.test("a model file with any byte changed never loads as different content", () => {
  const edit = fc.record({
    at: fc.nat({ max: VALID_TEXT.length - 1 }),
    char: fc.oneof(
      fc.string({ unit: "binary", minLength: 0, maxLength: 2 }),
      fc.constantFrom("0", "1", '"', ",", "}", "e"),
    ),
    remove: fc.integer({ min: 0, max: 2 }),
  });
  fc.assert(
    fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), featureRows, (edits, rows) => {
      let text = VALID_TEXT;
      for (const e of edits) text = text.slice(0, e.at) + e.char + text.slice(e.at + e.remove);
      const got = load(text);
      if (got instanceof FluxError) return;
      // Accepted: then it is the saved model, byte for byte of its content.
      assert.equal(content(got.artifact), content(VALID), "a corrupted model was accepted");
      assertUsable(got, rows);
    }),
    { numRuns: RUNS },
  );
});

Deno.test("a model with a field changed and no new checksum is refused as an integrity error", () => {
  fc.assert(
    fc.property(fc.constantFrom(...PATHS), replacement, (path, value) => {
      const changed = setAt(VALID, path, value);
      fc.pre(content(changed) !== content(VALID));
      const got = load(JSON.stringify(changed));
      assert.ok(got instanceof FluxError, `${path.join(".")} changed, and it loaded`);
    }),
    { numRuns: RUNS },
  );
});

Deno.test("a model with a field changed and a matching checksum loads only if it predicts safely", () => {
  const mutated = fc.oneof(
    fc.tuple(fc.constantFrom(...PATHS), replacement).map(([path, v]) => setAt(VALID, path, v)),
    forestByte,
  );
  fc.assert(
    fc.property(mutated, featureRows, (doc, rows) => {
      const got = load(withChecksum(doc as Record<string, unknown>));
      if (!(got instanceof FluxError)) assertUsable(got, rows);
    }),
    { numRuns: RUNS * 3 },
  );
});

Deno.test("loadModel() on a file of random bytes throws only typed errors", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "model.json");
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        await Deno.writeFile(path, bytes);
        await assert.rejects(loadModel(path), (err: unknown) => {
          assert.ok(err instanceof FluxError, String(err));
          assert.ok(err.message.startsWith(path), err.message);
          return true;
        });
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });
});
