/**
 * `deno task smoke --url URL [--key KEY]`: a quick end-to-end check of a deployed function:
 * health, model-info, one prediction built from the model's own feature means, and one bad
 * input that must come back as a 400 with a JSON error.
 * @module
 */
import { parseCli } from "../lib/cli/parse_cli.ts";
import { describeError } from "../lib/errors.ts";

const HELP = `deno task smoke: check a running FluxOps function

Usage: deno task smoke --url URL [--key KEY] [--timeout SECONDS] [--json]

  --url URL       the function's base URL, e.g. https://fluxops-dev-ab12.azurewebsites.net
  --key KEY       a function key (sent as x-functions-key); env FLUXOPS_FUNCTION_KEY
  --timeout S     per-request timeout in seconds (default 20)
  --retries N     retries of the health check while the app starts (default 10, 3 s apart)
  --json          print the results as JSON
  -h, --help      show this help

Exit status: 0 when every check passes, 1 otherwise, 2 on a usage error.`;

/** One check's outcome. */
export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly status: number | null;
  readonly ms: number;
  readonly detail: string;
}

/** Options of {@link smoke}. */
export interface SmokeOptions {
  readonly url: string;
  readonly key?: string | undefined;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly retryDelayMs?: number;
}

/** Runs the checks against `url`; never throws for a failed check. */
export async function smoke(
  { url, key, timeoutMs = 20_000, retries = 10, retryDelayMs = 3000 }: SmokeOptions,
): Promise<CheckResult[]> {
  const base = url.replace(/\/+$/, "");
  const headers: Record<string, string> = key ? { "x-functions-key": key } : {};
  const results: CheckResult[] = [];
  const call = async (
    name: string,
    path: string,
    init: RequestInit,
    check: (res: Response, body: unknown) => string | true,
  ) => {
    const t0 = performance.now();
    try {
      const res = await fetch(base + path, {
        ...init,
        headers: { ...headers, ...(init.headers as Record<string, string> | undefined) },
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch { /* keep the text */ }
      const verdict = check(res, body);
      const result = {
        name,
        ok: verdict === true,
        status: res.status,
        ms: Math.round(performance.now() - t0),
        detail: verdict === true ? "" : verdict,
      };
      results.push(result);
      return { result, body };
    } catch (err) {
      const result = {
        name,
        ok: false,
        status: null,
        ms: Math.round(performance.now() - t0),
        detail: describeError(err),
      };
      results.push(result);
      return { result, body: undefined };
    }
  };

  // Health, retried while the app starts (a cold Function App can take a while).
  let health;
  for (let attempt = 0;; attempt++) {
    health = await call(
      "health",
      "/api/health",
      {},
      (res, body) =>
        res.status === 200 && (body as { status?: string }).status === "healthy"
          ? true
          : `expected 200 healthy, got ${res.status} ${JSON.stringify(body).slice(0, 200)}`,
    );
    if (health.result.ok || attempt >= retries) break;
    results.pop();
    await new Promise((r) => setTimeout(r, retryDelayMs));
  }
  const info = await call(
    "model-info",
    "/api/model-info",
    {},
    (res, body) =>
      res.status === 200 && Array.isArray((body as { features?: unknown }).features)
        ? true
        : `expected 200 with features, got ${res.status}`,
  );
  const features =
    ((info.body as { features?: { name: string; mean?: number; min: number; max: number }[] })
      ?.features) ?? [];
  const row = features.map((f) => f.mean ?? (f.min + f.max) / 2);
  const json = { "content-type": "application/json" };
  await call("predict", "/api/predict", {
    method: "POST",
    headers: json,
    body: JSON.stringify({ features: row }),
  }, (res, body) => {
    const b = body as { prediction?: unknown; probabilities?: Record<string, number> };
    if (res.status !== 200) {
      return `expected 200, got ${res.status} ${JSON.stringify(body).slice(0, 200)}`;
    }
    const sum = Object.values(b.probabilities ?? {}).reduce((a, v) => a + v, 0);
    return b.prediction !== undefined && Math.abs(sum - 1) < 1e-6
      ? true
      : "no prediction, or probabilities do not sum to 1";
  });
  await call(
    "bad input",
    "/api/predict",
    { method: "POST", headers: json, body: JSON.stringify({ features: ["abc"] }) },
    (res, body) =>
      res.status === 400 && (body as { error?: { code?: string } }).error?.code === "invalid_input"
        ? true
        : `expected 400 invalid_input, got ${res.status}`,
  );
  return results;
}

/** Runs the CLI; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const cli = parseCli(args, {
    url: { type: "string" },
    key: { type: "string" },
    timeout: { type: "number", above: 0 },
    retries: { type: "integer", min: 0 },
    json: { type: "boolean" },
  }, HELP);
  if (cli.exit !== undefined) return cli.exit;
  const { values } = cli;
  if (!values.url || !/^https?:\/\/[^/]+/.test(values.url)) {
    console.error(
      `error: --url must be an http(s) URL${
        values.url ? `, got "${values.url}"` : ""
      } (see --help)`,
    );
    return 2;
  }
  const results = await smoke({
    url: values.url,
    key: values.key ?? Deno.env.get("FLUXOPS_FUNCTION_KEY"),
    timeoutMs: 1000 * (values.timeout ?? 20),
    retries: values.retries ?? 10,
  });
  if (values.json) {
    console.log(
      JSON.stringify({ url: values.url, ok: results.every((r) => r.ok), checks: results }, null, 2),
    );
  } else {
    for (const r of results) {
      console.log(
        `${r.ok ? "ok  " : "FAIL"} ${r.name.padEnd(10)} ${String(r.status ?? "-").padStart(3)} ${
          String(r.ms).padStart(6)
        } ms ${r.detail}`,
      );
    }
  }
  return results.every((r) => r.ok) ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
