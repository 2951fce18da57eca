/**
 * Realistic report inputs for the report tests: a binary churn model and a three-class model,
 * scored on deterministic pseudo-random test sets.
 * @module
 */

import type { Label } from "../../../lib/data/dataset.ts";
import { evaluate } from "../../../lib/metrics/evaluate.ts";
import { rocCurve } from "../../../lib/metrics/roc_curve.ts";
import type { ReportInput } from "../../../lib/report/html.ts";

/** A small seeded generator (mulberry32), so fixtures are the same on every run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Test-set probabilities of a decent but imperfect classifier, as shares of 20 tree votes: each
 * row's true class gets an extra share of the votes that varies from row to row.
 */
export function scoredTestSet(
  n: number,
  k: number,
  seed: number,
): { yTrue: Int32Array; proba: Float64Array } {
  const rand = random(seed);
  const yTrue = new Int32Array(n);
  const proba = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const y = Math.min(k - 1, Math.floor(rand() * rand() * k * 1.6));
    yTrue[i] = y;
    const votes = new Array<number>(k).fill(0);
    const boost = rand() * 0.6;
    for (let t = 0; t < 20; t++) {
      votes[rand() < boost ? y : Math.floor(rand() * k)]! += 1;
    }
    votes.forEach((v, c) => (proba[i * k + c] = v / 20));
  }
  return { yTrue, proba };
}

/** Feature names and importances that look like a trained forest's: a few strong, a long tail. */
export function importancesFor(names: readonly string[], seed: number): number[] {
  const rand = random(seed);
  const raw = names.map((_, i) => rand() / (1 + i * 0.35));
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((v) => v / total);
}

const CHURN_FEATURES = [
  "tenure_months",
  "monthly_charges",
  "total_charges",
  "contract_two_year",
  "contract_month_to_month",
  "internet_fiber_optic",
  "payment_electronic_check",
  "support_tickets_last_90_days",
  "online_security",
  "tech_support",
  "paperless_billing",
  "senior_citizen",
  "streaming_tv",
  "streaming_movies",
  "dependents",
  "partner",
  "multiple_lines",
  "device_protection",
  "online_backup",
  "phone_service",
  "gender_male",
  "avg_session_minutes",
  "logins_last_30_days",
  "days_since_last_login",
  "referral_count",
  "discount_rate",
  "region_north",
  "region_south",
  "region_east",
  "region_west",
  "a_rather_long_feature_name_from_a_wide_csv_export",
  "nps_score",
  "plan_upgrades",
  "plan_downgrades",
  "late_payments",
  "autopay_enabled",
  "household_size",
  "account_age_days",
  "email_opens_rate",
  "sms_opt_in",
];

/** A binary model report: 40 features, a ROC curve, classes "stayed" and "churned". */
export function binaryReport(): ReportInput {
  const classes: Label[] = ["stayed", "churned"];
  const { yTrue, proba } = scoredTestSet(400, 2, 42);
  const metrics = evaluate(yTrue, proba, classes);
  const roc = rocCurve(yTrue, proba.filter((_, i) => i % 2 === 1));
  if (roc === null || metrics.roc_auc === null) throw new Error("fixture has a single class");
  return {
    title: "Customer churn",
    version: 7,
    createdAt: "2025-03-14T09:26:53.589Z",
    engine: "fluxops-forest 1.0",
    target: "churned",
    classes,
    metrics,
    featureNames: CHURN_FEATURES,
    importances: importancesFor(CHURN_FEATURES, 7),
    roc: { fpr: roc.fpr, tpr: roc.tpr, auc: metrics.roc_auc },
    params: {
      nEstimators: 100,
      maxDepth: 12,
      maxFeatures: "sqrt",
      minSamplesLeaf: 2,
      seed: 42,
      classWeight: null,
      bootstrap: true,
      featureColumns: ["tenure_months", "monthly_charges", "…"],
    },
    nTrain: 1600,
    nTest: 400,
    trainSeconds: 3.42,
  };
}

/** A three-class model report; `labels` may be hostile strings. */
export function multiclassReport(
  labels: readonly Label[] = ["setosa", "versicolor", "virginica"],
): ReportInput {
  const { yTrue, proba } = scoredTestSet(150, labels.length, 3);
  const featureNames = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
  return {
    title: "Iris species",
    version: "2025.03.1",
    createdAt: "2025-03-15T18:02:00Z",
    engine: "fluxops-forest 1.0",
    target: "species",
    classes: [...labels],
    metrics: evaluate(yTrue, proba, labels),
    featureNames,
    importances: [0.11, 0.02, 0.44, 0.43],
    params: { nEstimators: 50 },
    nTrain: 120,
    nTest: 150,
    trainSeconds: 0.31,
  };
}
