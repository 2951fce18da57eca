/**
 * The load generator process of `bench/http_load.ts`: autocannon (npm, programmatic API) against
 * one URL, a warm-up run, then the measured run; prints ONE JSON line on stdout.
 *
 * It runs in its own process (so the driver's event loop never competes with the load
 * generator's) with `--no-config` and its own lock file, so its dependency tree stays pinned
 * whatever deno.json holds:
 *
 * ```sh
 * deno run -A --no-config --frozen --lock=bench/http_load_client.lock bench/http_load_client.ts \
 *   --url http://127.0.0.1:8080/api/predict --bodies bodies.json --connections 50 --duration 10
 * ```
 *
 * Latency: autocannon's own histogram keeps whole milliseconds (hdr-histogram with a lowest
 * discernible value of 1), too coarse for sub-millisecond services, so every response time
 * (a float in ms from `process.hrtime`) is also recorded from autocannon's `response` event and
 * the percentiles are computed from those exact values. Only 2xx responses count toward latency.
 * @module
 */
// Pinned inline on purpose: this file runs with --no-config and its own lock file
// (bench/http_load_client.lock), so the load generator does not belong in deno.json.
// deno-lint-ignore no-import-prefix
import autocannon from "npm:autocannon@9.0.0";
import { cpuUsage } from "node:process";
import { parseArgs } from "node:util";

/** What the client reports for one measured run. */
export interface ClientResult {
  url: string;
  connections: number;
  duration_s: number;
  warmup_s: number;
  elapsed_s: number;
  requests: number;
  responses_2xx: number;
  non_2xx: number;
  errors: number;
  timeouts: number;
  requests_per_s: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** autocannon's own summary, for cross-checking (whole-millisecond resolution). */
  autocannon: { requests_average: number; latency_p50: number; latency_p99: number };
  status_codes: Record<string, number>;
  /** CPU seconds (user + system) the load generator used during the measured run. */
  client_cpu_s: number;
  load_generator: string;
}

interface AutocannonResult {
  errors: number;
  timeouts: number;
  non2xx: number;
  start: Date;
  finish: Date;
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  statusCodeStats: Record<string, { count: number }>;
}

interface Instance {
  on(event: "response", fn: (c: unknown, status: number, bytes: number, ms: number) => void): void;
  stop(): void;
}

/** Sorted-array percentile (nearest rank). */
function pct(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

async function runOnce(
  opts: Record<string, unknown>,
  record: boolean,
): Promise<{ res: AutocannonResult; lat: Float64Array }> {
  let lat = new Float64Array(1 << 16);
  let n = 0;
  const res = await new Promise<AutocannonResult>((resolve, reject) => {
    const inst = (autocannon as unknown as (
      o: Record<string, unknown>,
      cb: (err: unknown, r: AutocannonResult) => void,
    ) => Instance)(opts, (err, r) => err ? reject(err) : resolve(r));
    if (record) {
      inst.on("response", (_c, status, _bytes, ms) => {
        if (status < 200 || status >= 300) return;
        if (n === lat.length) {
          const bigger = new Float64Array(lat.length * 2);
          bigger.set(lat);
          lat = bigger;
        }
        lat[n++] = ms;
      });
    }
  });
  return { res, lat: lat.subarray(0, n) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    strict: true,
    options: {
      url: { type: "string" },
      bodies: { type: "string" },
      connections: { type: "string", default: "50" },
      duration: { type: "string", default: "10" },
      warmup: { type: "string", default: "0" },
      timeout: { type: "string", default: "10" },
    },
  });
  if (!values.url || !values.bodies) throw new Error("--url and --bodies are required");
  const url = new URL(values.url);
  if (url.hostname !== "127.0.0.1") throw new Error("only 127.0.0.1 may be a target");
  const bodies = JSON.parse(await Deno.readTextFile(values.bodies)) as string[];
  if (!Array.isArray(bodies) || bodies.length === 0) throw new Error("--bodies: no bodies");
  const connections = Number(values.connections);
  const duration = Number(values.duration);
  const warmup = Number(values.warmup);
  const base = {
    url: url.href,
    connections,
    timeout: Number(values.timeout),
    headers: { "content-type": "application/json" },
    requests: bodies.map((body) => ({ method: "POST", path: url.pathname, body })),
  };
  if (warmup > 0) await runOnce({ ...base, duration: warmup }, false);
  const cpu0 = cpuUsage();
  const { res, lat } = await runOnce({ ...base, duration }, true);
  const cpu = cpuUsage(cpu0);
  lat.sort();
  let sum = 0;
  for (const v of lat) sum += v;
  const elapsed = (res.finish.getTime() - res.start.getTime()) / 1000;
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(res.statusCodeStats ?? {})) statusCodes[code] = s.count;
  const completed = Object.values(statusCodes).reduce((a, b) => a + b, 0);
  const out: ClientResult = {
    url: url.href,
    connections,
    duration_s: duration,
    warmup_s: warmup,
    elapsed_s: round3(elapsed),
    requests: completed,
    responses_2xx: lat.length,
    non_2xx: res.non2xx,
    errors: res.errors,
    timeouts: res.timeouts,
    requests_per_s: Math.round((completed / elapsed) * 10) / 10,
    latency_ms: {
      p50: round3(pct(lat, 0.5)),
      p90: round3(pct(lat, 0.9)),
      p99: round3(pct(lat, 0.99)),
      max: round3(lat.length ? lat[lat.length - 1]! : NaN),
      mean: round3(lat.length ? sum / lat.length : NaN),
    },
    autocannon: {
      requests_average: res.requests.average,
      latency_p50: res.latency.p50,
      latency_p99: res.latency.p99,
    },
    status_codes: statusCodes,
    client_cpu_s: round3((cpu.user + cpu.system) / 1e6),
    load_generator: "autocannon 9.0.0 (npm, under Deno " + Deno.version.deno + ")",
  };
  console.log(JSON.stringify(out));
}

if (import.meta.main) {
  try {
    await main();
  } catch (err) {
    console.error(`http_load_client: ${err instanceof Error ? err.message : String(err)}`);
    Deno.exit(1);
  }
}
