import assert from "node:assert/strict";
import {
  type DeployJournal,
  JOURNAL_FORMAT,
  parseJournal,
  requestKey,
  startJournal,
} from "../../../tasks/deploy/journal.ts";
import { InvalidInput } from "../../../lib/errors.ts";

const REQUEST = {
  env: "dev",
  alias: "production",
  model: null,
  skipTrain: false,
  trainerArgs: ["--trees", "10"],
  pipeline: "4242",
};
const KEY = requestKey(REQUEST);
const NOW = { alias_version: "20261202T120000Z-bbbbbbbb", package: "https://st/d/function/b.zip" };
const EARLIER = {
  alias_version: "20261201T120000Z-aaaaaaaa",
  package: "https://st/d/function/a.zip",
};

function journal(open: boolean, request = KEY): DeployJournal {
  return {
    format: JOURNAL_FORMAT,
    request,
    started_at: "2026-12-02T11:59:00.000Z",
    open,
    before: EARLIER,
    model_version: "20261202T120000Z-bbbbbbbb",
  };
}

Deno.test("requestKey() is the same for the same request and differs when any part differs", () => {
  assert.equal(requestKey({ ...REQUEST }), KEY);
  assert.match(KEY, /^[0-9a-f]{32}$/);
  const changes: Partial<typeof REQUEST>[] = [
    { env: "prod" },
    { alias: "staging" },
    { trainerArgs: ["--trees", "11"] },
    { pipeline: "4243" },
    { skipTrain: true },
  ];
  for (const change of changes) {
    assert.notEqual(requestKey({ ...REQUEST, ...change }), KEY, JSON.stringify(change));
  }
});

Deno.test("startJournal() resumes an open journal of the same request and otherwise keeps the earliest rollback targets", () => {
  const now = new Date("2026-12-02T12:30:00Z");
  const cases: [string, DeployJournal | undefined, boolean, boolean, typeof NOW, boolean][] = [
    // what, found, fresh, resumed, before, superseded
    ["no journal: a new deploy of what runs now", undefined, false, false, NOW, false],
    ["a finished deploy: a new one", journal(false), false, false, NOW, false],
    [
      "an interrupted deploy of the same request: resumed",
      journal(true),
      false,
      true,
      EARLIER,
      false,
    ],
    [
      "the same, with --fresh: new, same rollback targets",
      journal(true),
      true,
      false,
      EARLIER,
      true,
    ],
    [
      "an interrupted deploy of another request: superseded",
      journal(true, "other"),
      false,
      false,
      EARLIER,
      true,
    ],
  ];
  for (const [what, found, fresh, resumed, before, superseded] of cases) {
    const start = startJournal(found, { request: KEY, current: NOW, fresh, now });
    assert.equal(start.resumed, resumed, what);
    assert.deepEqual(start.journal.before, before, what);
    assert.equal(start.superseded !== undefined, superseded, what);
    assert.equal(start.journal.open, true, what);
    if (resumed) assert.equal(start.journal, found, what);
    else {
      assert.equal(start.journal.started_at, now.toISOString(), what);
      assert.equal(start.journal.model_version, undefined, `${what}: nothing reused`);
    }
  }
});

Deno.test("parseJournal() reads its own output and names the blob of anything else", () => {
  const good = journal(true);
  assert.deepEqual(parseJournal(JSON.stringify(good), "journal/production.json"), good);
  const bad: string[] = [
    "{",
    "null",
    JSON.stringify({ ...good, format: "other" }),
    JSON.stringify({ ...good, open: "yes" }),
    JSON.stringify({ ...good, before: { alias_version: 1, package: null } }),
    JSON.stringify({ ...good, release: { blob: "function/x.zip" } }),
    JSON.stringify({ ...good, model_version: 7 }),
  ];
  for (const text of bad) {
    assert.throws(() => parseJournal(text, "journal/production.json"), (err) => {
      assert.ok(err instanceof InvalidInput, text);
      assert.match(err.message, /^journal\/production\.json: /, text);
      return true;
    });
  }
});
