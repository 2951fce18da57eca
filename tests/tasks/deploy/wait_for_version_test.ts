import assert from "node:assert/strict";
import { waitForVersion } from "../../../tasks/deploy/wait_for_version.ts";

/** A health endpoint whose answers come from `answer` (a function of the request count). */
async function withHealth(
  answer: (n: number) => [number, unknown],
  fn: (url: string) => Promise<void>,
): Promise<void> {
  let n = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    const [status, body] = answer(++n);
    return new Response(typeof body === "string" ? body : JSON.stringify(body), { status });
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

const V = "20261125T183000Z-1a2b3c4d";

Deno.test("waitForVersion() waits through 503s and an older version until the new one is served", async () => {
  await withHealth(
    (n) =>
      n === 1
        ? [503, "not json yet"]
        : n === 2
        ? [200, { status: "healthy", model_version: "20261124T000000Z-00000000", uptime_s: 1 }]
        : [200, { status: "healthy", model_version: V, uptime_s: 0.5 }],
    async (url) => {
      const r = await waitForVersion({
        url,
        version: V,
        changedAt: Date.now(),
        timeoutMs: 5000,
        intervalMs: 10,
      });
      assert.deepEqual(r, { ok: true, detail: "", polls: 3 });
    },
  );
});

Deno.test("waitForVersion() gives up at once when the function refuses the version", async () => {
  const reason = `loading from store: ${V}: signature does not match`;
  await withHealth(() => [503, { status: "unhealthy", reason }], async (url) => {
    const r = await waitForVersion({ url, version: V, timeoutMs: 5000, intervalMs: 10 });
    assert.equal(r.ok, false);
    assert.equal(r.polls, 1);
    assert.equal(r.detail, `the function refused ${V}: ${reason}`);
  });
});

Deno.test("waitForVersion() does not take a process older than the package change for the new one", async () => {
  await withHealth(
    () => [200, { status: "healthy", model_version: V, uptime_s: 3600 }],
    async (url) => {
      const r = await waitForVersion({
        url,
        version: V,
        changedAt: Date.now(),
        timeoutMs: 300,
        intervalMs: 50,
      });
      assert.equal(r.ok, false);
      assert.match(
        r.detail,
        /not served within 0 s; last: HTTP 200, serving .* from a process older/,
      );
    },
  );
});

Deno.test("waitForVersion() reports a function that never answers", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const r = await waitForVersion({
    url: `http://127.0.0.1:${port}/`,
    version: V,
    timeoutMs: 100,
    intervalMs: 40,
  });
  assert.equal(r.ok, false);
  assert.match(r.detail, new RegExp(`${V} not served within 0 s; last: `));
});
