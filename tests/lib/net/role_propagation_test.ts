import assert from "node:assert/strict";
import {
  DEFAULT_RBAC_WAIT_SECONDS,
  propagation403,
  rbacWaitMsFromEnv,
  RoleNotEffective,
  waitForRole,
} from "../../../lib/net/role_propagation.ts";

/** An error shaped like the Azure SDK's RestError. */
function restError(
  status: number,
  code: string,
  message = "refused",
  details?: unknown,
): Error {
  return Object.assign(new Error(message), {
    name: "RestError",
    statusCode: status,
    code,
    ...(details === undefined ? {} : { details }),
  });
}

const kvBody = (inner: string, message = "Caller is not authorized to perform action") => ({
  error: { code: "Forbidden", message, innerError: { code: inner } },
});

Deno.test("propagation403() waits only for the 403s a role assignment in flight explains (table)", () => {
  const cases: [string, Error, string | undefined][] = [
    [
      "Key Vault RBAC",
      restError(403, "Forbidden", "x", kvBody("ForbiddenByRbac")),
      "ForbiddenByRbac",
    ],
    [
      "Key Vault access policy",
      restError(403, "Forbidden", "x", kvBody("AccessDenied")),
      "AccessDenied",
    ],
    [
      "Key Vault firewall",
      restError(403, "Forbidden", "x", kvBody("ForbiddenByFirewall")),
      undefined,
    ],
    ["disabled secret", restError(403, "Forbidden", "x", kvBody("SecretDisabled")), undefined],
    [
      "Blob RBAC",
      restError(403, "AuthorizationPermissionMismatch"),
      "AuthorizationPermissionMismatch",
    ],
    ["ARM RBAC", restError(403, "AuthorizationFailed"), "AuthorizationFailed"],
    ["Blob network rules", restError(403, "AuthorizationFailure"), undefined],
    ["Blob bad key", restError(403, "AuthenticationFailed"), undefined],
    [
      "bare Forbidden, not authorized",
      restError(403, "Forbidden", "Caller is not authorized"),
      "Forbidden",
    ],
    ["bare Forbidden, other", restError(403, "Forbidden", "Operation is disabled"), undefined],
    [
      "raw body with wire name",
      Object.assign(restError(403, "Forbidden"), {
        response: {
          bodyAsText: JSON.stringify({ error: { innererror: { code: "ForbiddenByRbac" } } }),
        },
      }),
      "ForbiddenByRbac",
    ],
    ["401", restError(401, "Unauthorized"), undefined],
    ["404", restError(404, "SecretNotFound"), undefined],
    ["network", Object.assign(new Error("refused"), { code: "ECONNREFUSED" }), undefined],
    ["not an error", "403" as unknown as Error, undefined],
  ];
  for (const [what, err, expected] of cases) assert.equal(propagation403(err), expected, what);
});

Deno.test("rbacWaitMsFromEnv() reads FLUXOPS_RBAC_WAIT_SECONDS and refuses nonsense (table)", () => {
  const cases: [string | undefined, number | RegExp][] = [
    [undefined, DEFAULT_RBAC_WAIT_SECONDS * 1000],
    ["", DEFAULT_RBAC_WAIT_SECONDS * 1000],
    ["0", 0],
    ["2.5", 2500],
    [" 60 ", 60_000],
    ["-1", /FLUXOPS_RBAC_WAIT_SECONDS: expected a number of seconds >= 0, got "-1"/],
    ["five", /got "five"/],
  ];
  for (const [value, expected] of cases) {
    const env = (name: string) => name === "FLUXOPS_RBAC_WAIT_SECONDS" ? value : undefined;
    if (typeof expected === "number") assert.equal(rbacWaitMsFromEnv(env), expected, value);
    else assert.throws(() => rbacWaitMsFromEnv(env), expected);
  }
});

Deno.test("waitForRole() retries a propagation 403 with backoff until it passes, saying what it waits for", async () => {
  const lines: string[] = [];
  const at: number[] = [];
  const started = Date.now();
  const result = await waitForRole(
    () => {
      at.push(Date.now() - started);
      if (at.length < 4) return Promise.reject(restError(403, "AuthorizationPermissionMismatch"));
      return Promise.resolve("ok");
    },
    "blob container http://127.0.0.1:1/devstoreaccount1/models",
    {
      waitMs: 10_000,
      delayMs: 20,
      log: (l) => lines.push(l),
    },
  );
  assert.equal(result, "ok");
  assert.equal(at.length, 4);
  // 20, 40, 80 ms apart: the delay doubles.
  for (const [i, min] of [[1, 20], [2, 60], [3, 140]] as const) {
    assert.ok(at[i]! >= min - 5, `attempt ${i} at ${at[i]} ms`);
  }
  assert.equal(lines.length, 2);
  assert.equal(
    lines[0],
    "waiting for the role assignment on blob container http://127.0.0.1:1/devstoreaccount1/models " +
      "to take effect (403 AuthorizationPermissionMismatch), retrying for up to 10 s " +
      "(FLUXOPS_RBAC_WAIT_SECONDS)",
  );
  assert.match(lines[1]!, /took effect after \d+\.\d s$/);
});

Deno.test("waitForRole() gives up after the bound with RoleNotEffective carrying the last 403", async () => {
  const lines: string[] = [];
  const tries: number[] = [];
  const started = Date.now();
  await assert.rejects(
    waitForRole(
      () => {
        tries.push(Date.now() - started);
        return Promise.reject(restError(403, "Forbidden", "x", kvBody("ForbiddenByRbac")));
      },
      "Key Vault https://kv.vault.azure.net",
      { waitMs: 300, delayMs: 50, log: (l) => lines.push(l) },
    ),
    (err: unknown) => {
      assert.ok(err instanceof RoleNotEffective, String(err));
      assert.equal(err.code, "ForbiddenByRbac");
      assert.ok(err.waitedMs >= 300, String(err.waitedMs));
      assert.equal((err.cause as { statusCode: number }).statusCode, 403);
      return true;
    },
  );
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 300, `${elapsed} ms`);
  // Events, not a wall-clock ceiling (which a busy machine broke): it retried, and every try but
  // the last began before the bound (measured from its first try), so it gave up at the first
  // answer past the bound rather than sleeping on.
  assert.ok(tries.length >= 2, `${tries.length} tries`);
  const bound = 300 + tries[0]!;
  assert.ok(tries.slice(0, -1).every((t) => t < bound), `tries at ${tries} ms`);
  assert.equal(lines.length, 1, "says once that it waits");
});

Deno.test("waitForRole() passes other failures through at once, and with waitMs 0 a 403 too", async () => {
  const cases: [string, Error, number][] = [
    ["404", restError(404, "BlobNotFound"), 10_000],
    ["firewall", restError(403, "Forbidden", "x", kvBody("ForbiddenByFirewall")), 10_000],
    ["403 with no wait", restError(403, "AuthorizationPermissionMismatch"), 0],
  ];
  for (const [what, thrown, waitMs] of cases) {
    let tries = 0;
    const lines: string[] = [];
    await assert.rejects(
      waitForRole(
        () => {
          tries++;
          return Promise.reject(thrown);
        },
        "x",
        { waitMs, delayMs: 10, log: (l) => lines.push(l) },
      ),
      (err: unknown) => err === thrown,
      what,
    );
    assert.equal(tries, 1, what);
    assert.deepEqual(lines, [], what);
  }
});
