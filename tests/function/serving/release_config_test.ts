import assert from "node:assert/strict";
import { UsageError } from "../../../lib/errors.ts";
import {
  parseReleaseConfig,
  type ReleaseContext,
} from "../../../function/serving/release_config.ts";

const from = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("parseReleaseConfig() is off with the documented defaults when nothing is set", () => {
  assert.deepEqual(parseReleaseConfig(from({})), {
    mode: "off",
    candidateAlias: "candidate",
    candidateModel: undefined,
    weight: 0,
    stickyHeader: "x-fluxops-subject",
    rollbackErrorRate: 0.05,
    rollbackMinRequests: 50,
  });
});

Deno.test("parseReleaseConfig() reads a canary and a shadow configuration", () => {
  const canary = parseReleaseConfig(from({
    FLUXOPS_RELEASE_MODE: "canary",
    FLUXOPS_CANARY_WEIGHT: "0.1",
    FLUXOPS_CANDIDATE_ALIAS: "staging",
    FLUXOPS_STICKY_HEADER: "X-User-Id",
    FLUXOPS_ROLLBACK_ERROR_RATE: "0.2",
    FLUXOPS_ROLLBACK_MIN_REQUESTS: "10",
  }));
  assert.equal(canary.mode, "canary");
  assert.equal(canary.weight, 0.1);
  assert.equal(canary.candidateAlias, "staging");
  assert.equal(canary.stickyHeader, "x-user-id");
  assert.equal(canary.rollbackErrorRate, 0.2);
  assert.equal(canary.rollbackMinRequests, 10);
  const shadow = parseReleaseConfig(
    from({ FLUXOPS_RELEASE_MODE: "shadow", FLUXOPS_CANDIDATE_MODEL: "cand/model.json" }),
    { fileMode: true },
  );
  assert.equal(shadow.mode, "shadow");
  assert.equal(shadow.weight, 0);
  assert.equal(shadow.candidateModel, "cand/model.json");
});

Deno.test("parseReleaseConfig() refuses bad values with a message naming the variable", () => {
  const canary = { FLUXOPS_RELEASE_MODE: "canary", FLUXOPS_CANARY_WEIGHT: "0.1" };
  const cases: [Record<string, string>, RegExp, ReleaseContext?][] = [
    [
      { FLUXOPS_RELEASE_MODE: "blue-green" },
      /^FLUXOPS_RELEASE_MODE: expected off, canary or shadow, got "blue-green"$/,
    ],
    [{ FLUXOPS_RELEASE_MODE: "canary" }, /^FLUXOPS_CANARY_WEIGHT: canary mode needs/],
    [
      { ...canary, FLUXOPS_CANARY_WEIGHT: "10" },
      /^FLUXOPS_CANARY_WEIGHT: expected a fraction from 0 to 1 .*got "10"$/,
    ],
    [
      { ...canary, FLUXOPS_CANARY_WEIGHT: "10%" },
      /^FLUXOPS_CANARY_WEIGHT: expected a fraction .*got "10%"$/,
    ],
    [{ ...canary, FLUXOPS_CANARY_WEIGHT: "-0.1" }, /^FLUXOPS_CANARY_WEIGHT: expected a fraction/],
    [{ ...canary, FLUXOPS_CANARY_WEIGHT: "1.5" }, /^FLUXOPS_CANARY_WEIGHT: expected a fraction/],
    [{ ...canary, FLUXOPS_CANARY_WEIGHT: "NaN" }, /^FLUXOPS_CANARY_WEIGHT: expected a fraction/],
    [
      { ...canary, FLUXOPS_CANDIDATE_ALIAS: "Candidate!" },
      /^FLUXOPS_CANDIDATE_ALIAS: alias "Candidate!": use lower-case/,
    ],
    [
      { ...canary, FLUXOPS_CANDIDATE_ALIAS: "production" },
      /^FLUXOPS_CANDIDATE_ALIAS: the candidate must follow another alias than production \("production"\)$/,
    ],
    [{ ...canary, FLUXOPS_CANDIDATE_ALIAS: "live" }, /another alias than production \("live"\)/, {
      productionAlias: "live",
    }],
    [canary, /^FLUXOPS_CANDIDATE_MODEL: release mode canary with a model file/, { fileMode: true }],
    [
      { ...canary, FLUXOPS_STICKY_HEADER: "user id" },
      /^FLUXOPS_STICKY_HEADER: expected an HTTP header name, got "user id"$/,
    ],
    [
      { ...canary, FLUXOPS_ROLLBACK_ERROR_RATE: "5%" },
      /^FLUXOPS_ROLLBACK_ERROR_RATE: expected a fraction .*got "5%"$/,
    ],
    [
      { ...canary, FLUXOPS_ROLLBACK_MIN_REQUESTS: "0" },
      /^FLUXOPS_ROLLBACK_MIN_REQUESTS: expected a positive integer, got "0"$/,
    ],
    [
      { ...canary, FLUXOPS_ROLLBACK_MIN_REQUESTS: "1e3" },
      /^FLUXOPS_ROLLBACK_MIN_REQUESTS: expected a positive integer/,
    ],
  ];
  for (const [vars, message, context] of cases) {
    assert.throws(
      () => parseReleaseConfig(from(vars), context),
      (err: unknown) => {
        assert.ok(err instanceof UsageError, `${JSON.stringify(vars)}: ${err}`);
        assert.equal(err.code, "usage");
        assert.match(err.message, message, JSON.stringify(vars));
        return true;
      },
    );
  }
});

Deno.test("parseReleaseConfig() ignores release settings while the mode is off", () => {
  const config = parseReleaseConfig(from({ FLUXOPS_CANARY_WEIGHT: "0.3" }), { fileMode: true });
  assert.equal(config.mode, "off");
  assert.equal(config.weight, 0.3);
});
