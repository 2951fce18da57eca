/**
 * Side-by-side HTTP load benchmark: the FluxOps function (`function/main.ts`) against two Python
 * peers (`bench/peer_server.py`, FastAPI + uvicorn) serving the SAME forest: scikit-learn's
 * `predict_proba` (the peer converts the same model.json with `bench/fluxops_to_sklearn.py`) and
 * ONNX Runtime (that forest converted once more with skl2onnx).
 *
 * For each target it starts the server on a free 127.0.0.1 port, waits for `GET /api/health`,
 * checks one prediction, runs the load generator (autocannon, `bench/http_load_client.ts`, in its
 * own process) for a warm-up and then the measured run of one-row `POST /api/predict`, then times
 * sequential 1,000-row batches, and stops the server (SIGTERM, then SIGKILL) whatever happens.
 * Run `deno run -A bench/http_load.ts --help` for the flags.
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { invalidValue, parseCli, parseNumber } from "../lib/cli/parse_cli.ts";
import { UsageError } from "../lib/errors.ts";
import { SERVE_V8_FLAGS } from "../function/package/host_json.ts";
import { predictProba } from "../lib/forest/predict.ts";
import { loadModel } from "../lib/model/artifact.ts";
import { gaussianRows } from "./common.ts";

const HERE = dirname(new URL(import.meta.url).pathname);
const REPO = dirname(HERE);
const HOST = "127.0.0.1";
const CLK_TCK = 100; // Linux x86-64 USER_HZ

const HELP = `bench/http_load.ts: FluxOps function vs Python peers, side by side over HTTP

Usage: deno run -A bench/http_load.ts [options]

  --model PATH          model.json or a model folder (default: train one with
                        \`deno task train --trees 100\` into a temporary folder)
  --duration S          measured seconds per target (default 10)
  --connections C       concurrent connections (default 50)
  --warmup S            warm-up seconds per target, same load, not measured (default 3)
  --targets LIST        fluxops, python (FastAPI + scikit-learn) and onnx (FastAPI + ONNX
                        Runtime); default all three
  --py-workers LIST     uvicorn worker counts to run each peer with, e.g. 1 or 1,2 (default 1,2)
  --py-no-access-log    turn off uvicorn's access log (on by default; the FluxOps function
                        also writes one log line per request)
  --py-reuse-port       run N peer processes on SO_REUSEPORT sockets (kernel-balanced) instead
                        of uvicorn's N workers sharing one socket (which can put every
                        keep-alive connection on one worker)
  --py-sync             declare the peer's predict route with \`def\` (run in FastAPI's thread
                        pool) instead of \`async def\` (run on the event loop)
  --python PATH         Python with bench/requirements-serve.txt (default bench/.venv/bin/python)
  --fluxops-entry FILE  the FluxOps server (default function/main.ts)
  --load-generator G    wrk (default; Debian's wrk, one thread) or autocannon (npm, under Deno;
                        heavier, so on 2 CPUs it takes CPU the server would use)
  --batch-rows N        rows per batch request (default 1000; 0 skips the batch test)
  --batch-requests N    sequential batch requests measured (default 50, after 5 warm-up)
  --timeout S           give up (and stop everything) after S seconds in all (default 600)
  --json                print one JSON document instead of Markdown
  -h, --help            show this help

Only 127.0.0.1 is ever a target. Every process started is stopped on exit, error or Ctrl-C.
Exit status: 0 done, 1 a target failed, 2 usage error.`;

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

/** Children of `pid` (and theirs), from /proc. */
function descendants(pid: number): number[] {
  const parent = new Map<number, number[]>();
  try {
    for (const e of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      try {
        const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        const list = parent.get(ppid) ?? [];
        list.push(Number(e.name));
        parent.set(ppid, list);
      } catch { /* gone */ }
    }
  } catch {
    return [];
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length) {
    for (const c of parent.get(todo.pop()!) ?? []) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

/** CPU seconds (user + system) and resident MiB of a process and its descendants. */
function usage(pid: number): { cpu_s: number; rss_mib: number; by_pid: Record<number, number> } {
  let ticks = 0;
  let rssKb = 0;
  const byPid: Record<number, number> = {};
  for (const p of [pid, ...descendants(pid)]) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${p}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const t = Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
      ticks += t;
      byPid[p] = t / CLK_TCK;
      const status = Deno.readTextFileSync(`/proc/${p}/status`);
      const m = /VmRSS:\s+(\d+)/.exec(status);
      if (m) rssKb += Number(m[1]);
    } catch { /* gone */ }
  }
  return { cpu_s: ticks / CLK_TCK, rss_mib: Math.round(rssKb / 102.4) / 10, by_pid: byPid };
}

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A child process whose stderr is kept (the last 8 KB) for error messages. */
class Proc {
  readonly child: Deno.ChildProcess;
  #tail = "";
  #drained: Promise<void>;
  #exited = false;
  #stdout: Promise<string>;
  readonly status: Promise<Deno.CommandStatus>;

  constructor(
    readonly name: string,
    cmd: string,
    args: string[],
    env: Record<string, string>,
    captureStdout = false,
  ) {
    const child = new Deno.Command(cmd, {
      args,
      cwd: REPO,
      env,
      stdin: "null",
      stdout: captureStdout ? "piped" : "null",
      stderr: "piped",
    }).spawn();
    this.child = child;
    this.#stdout = captureStdout
      ? new Response(child.stdout).text().catch(() => "")
      : Promise.resolve("");
    this.status = child.status.then((s) => {
      this.#exited = true;
      return s;
    });
    this.#drained = (async () => {
      const dec = new TextDecoder();
      try {
        for await (const chunk of child.stderr) {
          this.#tail = (this.#tail + dec.decode(chunk, { stream: true })).slice(-8192);
        }
      } catch { /* closed */ }
    })();
  }

  get pid(): number {
    return this.child.pid;
  }
  get exited(): boolean {
    return this.#exited;
  }
  get stderrTail(): string {
    return this.#tail.trim();
  }
  /** Everything the process wrote on stdout (when captured), once it has exited. */
  stdout(): Promise<string> {
    return this.#stdout;
  }

  /** SIGTERM, up to `graceMs` to exit, then SIGKILL; the same for any descendant left behind. */
  async stop(graceMs = 5000): Promise<void> {
    const kids = this.#exited ? [] : descendants(this.pid);
    if (!this.#exited) {
      try {
        this.child.kill("SIGTERM");
      } catch { /* already gone */ }
      const timedOut = await Promise.race([
        this.status.then(() => false),
        sleep(graceMs).then(() => true),
      ]);
      if (timedOut) {
        try {
          this.child.kill("SIGKILL");
        } catch { /* gone */ }
        await this.status;
      }
    }
    const deadline = performance.now() + graceMs;
    for (const k of kids) {
      while (alive(k) && performance.now() < deadline) await sleep(50);
      if (alive(k)) {
        try {
          Deno.kill(k, "SIGKILL");
        } catch { /* gone */ }
      }
    }
    await this.#drained;
  }
}

const running = new Set<Proc>();

function start(
  name: string,
  cmd: string,
  args: string[],
  env: Record<string, string>,
  captureStdout = false,
): Proc {
  const p = new Proc(name, cmd, args, env, captureStdout);
  running.add(p);
  return p;
}

async function stop(p: Proc): Promise<void> {
  await p.stop();
  running.delete(p);
}

async function stopAll(): Promise<void> {
  await Promise.all([...running].map(stop));
}

/** A free TCP port on 127.0.0.1. */
function freePort(): number {
  const l = Deno.listen({ hostname: HOST, port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** The environment for a child: ours minus what would redirect the servers. */
function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = Deno.env.toObject();
  for (
    const k of [
      "FUNCTIONS_CUSTOMHANDLER_PORT",
      "OPENBLAS_CORETYPE",
      "OPENBLAS_L2_SIZE",
      "FLUXOPS_MODEL",
      "PYTHONPATH",
    ]
  ) delete env[k];
  return { ...env, ...extra };
}

// ---------------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------------

interface FeatureStat {
  name: string;
  mean: number;
  std: number;
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

async function waitHealthy(p: Proc, url: string, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (p.exited) {
      throw new Error(`${p.name} exited during start-up:\n${p.stderrTail || "(no stderr)"}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.status === 200) return performance.now() - t0;
    } catch { /* not yet */ }
    await sleep(100);
  }
  throw new Error(`${p.name}: not healthy after ${timeoutMs / 1000} s:\n${p.stderrTail}`);
}

async function postJson(
  url: string,
  body: string,
): Promise<{ status: number; json: unknown; ms: number; serverMs: number | undefined }> {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  const timing = /(?:^|,)\s*predict;dur=([\d.]+)/.exec(res.headers.get("server-timing") ?? "");
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch { /* reported by the caller */ }
  return { status: res.status, json, ms, serverMs: timing ? Number(timing[1]) : undefined };
}

function pct(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

// ---------------------------------------------------------------------------------------------
// One target
// ---------------------------------------------------------------------------------------------

interface LoadResult {
  requests_per_s: number;
  requests: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number; mean: number };
  errors: number;
  timeouts: number;
  non_2xx: number;
  status_codes: Record<string, number>;
  elapsed_s: number;
  client_cpu_s: number;
  autocannon: Record<string, number>;
}

interface BatchResult {
  rows: number;
  requests: number;
  errors: number;
  latency_ms: { p50: number; p99: number; max: number };
  server_timing_ms: { p50: number; p99: number } | null;
}

interface TargetResult {
  name: string;
  command: string;
  startup_ms: number;
  load: LoadResult | null;
  server_cpu_s: number | null;
  server_cores: number | null;
  /** Server CPU time per completed request, in microseconds (robust to a busy machine). */
  server_cpu_us_per_request: number | null;
  /** CPU seconds per server process during the measured run (uvicorn workers apart). */
  server_cpu_by_process: Record<string, number> | null;
  client_cores: number | null;
  server_rss_mib: number | null;
  batch: BatchResult | null;
  error?: string;
  /** First batch response's probabilities, for the cross-check (not printed). */
  probabilities?: number[][];
}

interface Options {
  duration: number;
  connections: number;
  warmup: number;
  batchRows: number;
  batchRequests: number;
  bodiesFile: string;
  batchBody: string;
  oneRow: string;
  deadline: number;
  loadGenerator: "wrk" | "autocannon";
  /** The wrk Lua script (bodies cycled per request, JSON summary on stdout). */
  wrkScript: string;
}

function remaining(o: Options): number {
  const left = o.deadline - performance.now();
  if (left <= 0) throw new Error("--timeout reached");
  return left;
}

/**
 * wrk's script: cycles through the bodies (one per line of `linesFile`) and prints one JSON
 * line of wrk's own figures when done. wrk records latency in microseconds.
 */
function wrkScript(linesFile: string): string {
  return `local bodies = {}
for line in io.lines(${JSON.stringify(linesFile)}) do bodies[#bodies + 1] = line end
local i = 0
local requests = {}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
-- Every request formatted once: formatting one per call costs wrk CPU the server would use.
for n, body in ipairs(bodies) do requests[n] = wrk.format(nil, nil, nil, body) end
request = function()
  i = i % #requests + 1
  return requests[i]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,' ..
    '"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.3f}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
`;
}

/** Runs wrk (one thread: the machine has 2 CPUs and the server needs one) for `seconds`. */
async function runWrk(url: string, o: Options, seconds: number): Promise<LoadResult> {
  const client = start(
    "wrk",
    "wrk",
    [
      "-t1",
      `-c${o.connections}`,
      `-d${seconds}s`,
      "--timeout",
      "10s",
      "-s",
      o.wrkScript,
      url,
    ],
    childEnv(),
    true,
  );
  // wrk's CPU time, sampled until it exits (it cannot be read after).
  let cpu = 0;
  const sampler = setInterval(() => {
    const u = usage(client.pid);
    if (u.cpu_s > 0) cpu = u.cpu_s;
  }, 100);
  const limit = Math.min(remaining(o), (seconds + 60) * 1000);
  const status = await Promise.race([client.status, sleep(limit).then(() => null)]);
  clearInterval(sampler);
  await stop(client);
  if (status === null) throw new Error(`wrk did not finish within ${limit / 1000} s`);
  if (!status.success) throw new Error(`wrk failed:\n${client.stderrTail}`);
  const out = await client.stdout();
  const line = out.split("\n").find((l) => l.startsWith('{"requests"'));
  if (!line) throw new Error(`wrk printed no summary:\n${out.slice(-1000)}`);
  const w = JSON.parse(line) as Record<string, number>;
  const elapsed = w.duration_us! / 1e6;
  const ms = (us: number | undefined) => r3(us! / 1000);
  const errors = w.connect! + w.read! + w.write!;
  return {
    requests_per_s: Math.round(w.requests! / elapsed),
    requests: w.requests!,
    latency_ms: {
      p50: ms(w.p50),
      p90: ms(w.p90),
      p99: ms(w.p99),
      max: ms(w.max),
      mean: ms(w.mean),
    },
    errors,
    timeouts: w.timeout!,
    non_2xx: w.status!,
    status_codes: {},
    elapsed_s: r3(elapsed),
    client_cpu_s: r3(cpu),
    autocannon: {},
  };
}

/** Runs the load generator for `seconds`; it prints one JSON line. */
async function runClient(url: string, o: Options, seconds: number): Promise<LoadResult> {
  if (o.loadGenerator === "wrk") return await runWrk(url, o, seconds);
  const client = start(
    "autocannon",
    Deno.execPath(),
    [
      "run",
      "-A",
      "--no-config",
      "--frozen",
      `--lock=${join(HERE, "http_load_client.lock")}`,
      join(HERE, "http_load_client.ts"),
      "--url",
      url,
      "--bodies",
      o.bodiesFile,
      "--connections",
      String(o.connections),
      "--duration",
      String(seconds),
    ],
    childEnv(),
    true,
  );
  const limit = Math.min(remaining(o), (seconds + 60) * 1000);
  const status = await Promise.race([client.status, sleep(limit).then(() => null)]);
  await stop(client);
  if (status === null) throw new Error(`load generator did not finish within ${limit / 1000} s`);
  if (!status.success) throw new Error(`load generator failed:\n${client.stderrTail}`);
  return JSON.parse(await client.stdout()) as LoadResult;
}

function checkOneRow(name: string, json: unknown, classes: unknown[]): void {
  const j = json as Record<string, unknown> | undefined;
  const probs = j?.probabilities as Record<string, number> | undefined;
  if (
    !j || typeof j.model_version !== "string" || !classes.includes(j.prediction) || !probs ||
    Object.keys(probs).length !== classes.length
  ) {
    throw new Error(`${name}: unexpected /api/predict answer ${JSON.stringify(json)}`);
  }
}

async function runTarget(
  name: string,
  cmd: string,
  args: string[],
  env: Record<string, string>,
  port: number,
  o: Options,
  classes: unknown[],
): Promise<TargetResult> {
  const base = `http://${HOST}:${port}`;
  const result: TargetResult = {
    name,
    command: [cmd, ...args].join(" "),
    startup_ms: NaN,
    load: null,
    server_cpu_s: null,
    server_cores: null,
    server_cpu_by_process: null,
    server_cpu_us_per_request: null,
    client_cores: null,
    server_rss_mib: null,
    batch: null,
  };
  const server = start(name, cmd, args, env);
  try {
    result.startup_ms = Math.round(
      await waitHealthy(server, `${base}/api/health`, Math.min(60_000, remaining(o))),
    );
    const first = await postJson(`${base}/api/predict`, o.oneRow);
    if (first.status !== 200) {
      throw new Error(
        `${name}: /api/predict answered ${first.status}: ${JSON.stringify(first.json)}`,
      );
    }
    checkOneRow(name, first.json, classes);
    const url = `${base}/api/predict`;
    if (o.warmup > 0) await runClient(url, o, o.warmup);
    const before = usage(server.pid);
    const load = await runClient(url, o, o.duration);
    const after = usage(server.pid);
    result.load = load;
    result.server_cpu_s = r3(after.cpu_s - before.cpu_s);
    result.server_cores = r3(result.server_cpu_s / load.elapsed_s);
    result.server_cpu_us_per_request = load.requests
      ? Math.round((result.server_cpu_s / load.requests) * 1e7) / 10
      : null;
    result.server_cpu_by_process = Object.fromEntries(
      Object.entries(after.by_pid).map(([p, t]) => [p, r3(t - (before.by_pid[Number(p)] ?? 0))]),
    );
    result.client_cores = r3(load.client_cpu_s / load.elapsed_s);
    result.server_rss_mib = after.rss_mib;
    if (o.batchRows > 0) {
      const times: number[] = [];
      const server_ms: number[] = [];
      let errors = 0;
      for (let i = 0; i < 5 + o.batchRequests; i++) {
        remaining(o);
        const r = await postJson(url, o.batchBody);
        const probs = (r.json as { probabilities?: number[][] } | undefined)?.probabilities;
        const ok = r.status === 200 && Array.isArray(probs) && probs.length === o.batchRows;
        if (!ok) {
          errors++;
          if (errors === 1) {
            console.error(
              `${name}: batch answered ${r.status}: ${
                (JSON.stringify(r.json) ?? "(not JSON)").slice(0, 300)
              }`,
            );
          }
        }
        if (ok && !result.probabilities) result.probabilities = probs;
        if (i < 5) continue;
        times.push(r.ms);
        if (r.serverMs !== undefined) server_ms.push(r.serverMs);
      }
      times.sort((a, b) => a - b);
      server_ms.sort((a, b) => a - b);
      result.batch = {
        rows: o.batchRows,
        requests: times.length,
        errors,
        latency_ms: { p50: r3(pct(times, 0.5)), p99: r3(pct(times, 0.99)), max: r3(times.at(-1)!) },
        server_timing_ms: server_ms.length
          ? { p50: r3(pct(server_ms, 0.5)), p99: r3(pct(server_ms, 0.99)) }
          : null,
      };
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
  } finally {
    await stop(server);
  }
  if (result.error && server.stderrTail && !result.error.includes(server.stderrTail)) {
    result.error += `\n--- ${name} stderr (tail) ---\n${server.stderrTail.slice(-2000)}`;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

function fmt(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined || Number.isNaN(x) ? "-" : x.toFixed(digits);
}

function markdown(doc: Record<string, unknown>, results: TargetResult[]): string {
  const m = doc.meta as Record<string, unknown>;
  const lines = [
    `### HTTP load: one-row POST /api/predict, ${m.connections} connections, ${m.duration_s} s ` +
    `(after ${m.warmup_s} s warm-up)`,
    "",
    "| target | req/s | p50 ms | p90 ms | p99 ms | max ms | errors | non-2xx | server CPU (cores) | server CPU µs/req | load gen CPU (cores) | server RSS MiB |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    const l = r.load;
    lines.push(
      `| ${r.name} | ${l ? l.requests_per_s.toFixed(0) : "failed"} | ${fmt(l?.latency_ms.p50)} | ${
        fmt(l?.latency_ms.p90)
      } | ${fmt(l?.latency_ms.p99)} | ${fmt(l?.latency_ms.max)} | ${
        l ? l.errors + l.timeouts : "-"
      } | ${l ? l.non_2xx : "-"} | ${fmt(r.server_cores)} | ${
        fmt(r.server_cpu_us_per_request, 1)
      } | ${fmt(r.client_cores)} | ${fmt(r.server_rss_mib, 1)} |`,
    );
  }
  if (results.some((r) => r.batch)) {
    lines.push(
      "",
      `### Batch: POST /api/predict with ${m.batch_rows} rows, sequential, one connection`,
      "",
      "| target | requests | p50 ms | p99 ms | max ms | server-timing p50 ms | server-timing p99 ms | errors |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const r of results) {
      const b = r.batch;
      if (!b) continue;
      lines.push(
        `| ${r.name} | ${b.requests} | ${fmt(b.latency_ms.p50)} | ${fmt(b.latency_ms.p99)} | ${
          fmt(b.latency_ms.max)
        } | ${fmt(b.server_timing_ms?.p50)} | ${fmt(b.server_timing_ms?.p99)} | ${b.errors} |`,
      );
    }
  }
  lines.push(
    "",
    `Model ${m.model_version} (${m.model}); load generator ${m.load_generator}; ${m.cpus} CPUs, ` +
      `load generator and server on the same machine; Deno ${m.deno}. Calibration (the forest ` +
      `scoring 20,000 rows on one thread, median of 5; higher when the machine is slowed): ` +
      `${m.calibration_ms} ms.`,
  );
  const ours = results.find((r) => r.name.startsWith("FluxOps"));
  for (const r of results) {
    if (r === ours || !ours) continue;
    const parts: string[] = [];
    if (ours.load && r.load) {
      parts.push(
        `${(ours.load.requests_per_s / r.load.requests_per_s).toFixed(1)}x the one-row req/s`,
      );
    }
    const cpuOurs = ours.server_cpu_us_per_request;
    const cpuPeer = r.server_cpu_us_per_request;
    if (cpuOurs && cpuPeer) {
      // Steadier than req/s on a busy machine: other work slows a server, not its CPU a request.
      parts.push(`${(cpuPeer / cpuOurs).toFixed(1)}x less server CPU per one-row request`);
    }
    const a = ours.batch?.server_timing_ms?.p50;
    const b = r.batch?.server_timing_ms?.p50;
    if (a && b) parts.push(`${(b / a).toFixed(1)}x faster batch server-timing p50`);
    if (parts.length) lines.push(`FluxOps vs ${r.name}: ${parts.join(", ")}.`);
  }
  if (doc.agreement) {
    const a = doc.agreement as Record<string, number>;
    lines.push(
      `Same forest: the ${m.batch_rows}-row batch probabilities of the peers differ from ` +
        `FluxOps' by at most ${a.max_abs_diff} (max over targets).`,
    );
  }
  const load = m.loadavg_at_start as number;
  if (load > 0.5) {
    lines.push(
      `**Warning:** the 1-minute load average was ${load.toFixed(2)} when the run started; ` +
        `other work on this ${m.cpus}-CPU machine skews these figures.`,
    );
  }
  for (const r of results) if (r.error) lines.push("", `**${r.name} failed:** ${r.error}`);
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

/**
 * How fast this machine is right now: the median of 5 timings of the forest scoring 20,000 rows
 * on one thread, in ms. This VM has slow phases (every figure ~20% worse for minutes); a run's
 * calibration tells them apart from a change in the code.
 */
async function calibrate(modelFile: string, rows: number[][]): Promise<number> {
  const { forest } = await loadModel(modelFile);
  const n = 20_000;
  const p = forest.nFeatures;
  const x = new Float64Array(n * p);
  for (let i = 0; i < n; i++) x.set(rows[i % rows.length]!, i * p);
  predictProba(forest, x, n); // warm-up
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    predictProba(forest, x, n);
    times.push(performance.now() - t0);
  }
  return Math.round(times.sort((a, b) => a - b)[2]! * 10) / 10;
}

async function main(args: string[]): Promise<number> {
  const cli = parseCli(args, {
    model: { type: "string" },
    duration: { type: "number", min: 1, default: 10 },
    connections: { type: "integer", min: 1, default: 50 },
    warmup: { type: "number", min: 0, default: 3 },
    targets: { type: "string", default: "fluxops,python,onnx" },
    "py-workers": { type: "string", default: "1,2" },
    "py-no-access-log": { type: "boolean", default: false },
    "py-sync": { type: "boolean", default: false },
    "py-reuse-port": { type: "boolean", default: false },
    python: { type: "string", default: join(HERE, ".venv", "bin", "python") },
    "fluxops-entry": { type: "string", default: join(REPO, "function", "main.ts") },
    "batch-rows": { type: "integer", min: 0, default: 1000 },
    "load-generator": { type: "string", choices: ["wrk", "autocannon"], default: "wrk" },
    "batch-requests": { type: "integer", min: 1, default: 50 },
    timeout: { type: "number", min: 1, default: 600 },
    json: { type: "boolean", default: false },
  }, HELP);
  if (cli.exit !== undefined) return cli.exit;
  const { values } = cli;
  const { duration, connections, warmup, timeout } = values;
  const batchRows = values["batch-rows"];
  const batchRequests = values["batch-requests"];
  let pyWorkers: number[], targets: string[];
  try {
    pyWorkers = values["py-workers"].split(",").map((s) =>
      parseNumber("--py-workers", s, { type: "integer", min: 1 })
    );
    targets = values.targets.split(",").map((s) => s.trim());
    for (const t of targets) {
      if (t !== "fluxops" && t !== "python" && t !== "onnx") {
        throw new UsageError(invalidValue("--targets", "a list of fluxops, python, onnx", t));
      }
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`error: ${err.message}`);
    return 2;
  }
  let wrkVersion = "";
  if (values["load-generator"] === "wrk") {
    const v = await new Deno.Command("wrk", { args: ["-v"], stdout: "piped", stderr: "piped" })
      .output().catch(() => null);
    // wrk -v prints its version and exits 1.
    const text = v ? new TextDecoder().decode(v.stdout) + new TextDecoder().decode(v.stderr) : "";
    const m = /wrk\s+(\S+)/.exec(text);
    if (!m) {
      console.error(
        "error: wrk not found; install it (apt-get install wrk) or use --load-generator autocannon",
      );
      return 2;
    }
    wrkVersion = `wrk ${m[1]}`;
  }
  const deadline = performance.now() + timeout * 1000;
  const loadAtStart = Deno.loadavg()[0] ?? 0;
  const log = (msg: string) => console.error(`http_load: ${msg}`);
  if (loadAtStart > 0.5) {
    log(`warning: 1-minute load average ${loadAtStart.toFixed(2)}; other work will skew results`);
  }

  const tmp = await Deno.makeTempDir({ prefix: "http_load_" });
  const onSignal = () => {
    log("interrupted; stopping every process started");
    void stopAll()
      .then(() => Deno.remove(tmp, { recursive: true }))
      .catch(() => {})
      .finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    if (targets.includes("python") || targets.includes("onnx")) {
      const py = values.python;
      const imports = "fastapi, uvicorn, uvloop, httptools, sklearn" +
        (targets.includes("onnx") ? ", onnxruntime, skl2onnx" : "");
      const probe = await new Deno.Command(py, {
        args: ["-c", `import ${imports}`],
        stdout: "null",
        stderr: "null",
        env: childEnv(),
        signal: AbortSignal.timeout(60_000),
      }).output().catch(() => null);
      if (!probe?.success) {
        console.error(
          `error: ${py} lacks the peer's packages; run:\n  bench/setup_python.sh && ` +
            `bench/.venv/bin/pip install -r bench/requirements-serve.txt`,
        );
        return 2;
      }
    }

    // The model.
    let modelFile: string;
    if (values.model) {
      modelFile = resolve(values.model);
      try {
        if ((await Deno.stat(modelFile)).isDirectory) modelFile = join(modelFile, "model.json");
      } catch {
        console.error(`error: --model: ${values.model} not found`);
        return 2;
      }
    } else {
      log("training a 100-tree model on the seed workload");
      const out = join(tmp, "model");
      const trainer = start("trainer", Deno.execPath(), [
        "task",
        "-q",
        "train",
        "--trees",
        "100",
        "--out",
        out,
      ], childEnv());
      const st = await Promise.race([trainer.status, sleep(120_000).then(() => null)]);
      await stop(trainer);
      if (!st?.success) throw new Error(`training failed:\n${trainer.stderrTail}`);
      modelFile = join(out, "model.json");
    }
    const model = JSON.parse(await Deno.readTextFile(modelFile)) as {
      version: string;
      classes: unknown[];
      features: FeatureStat[];
    };
    const rows = gaussianRows(model.features, Math.max(batchRows, 200), 12345);
    const calibrationMs = await calibrate(modelFile, rows);
    log(`calibration: the forest scores 20,000 rows on one thread in ${calibrationMs} ms`);
    const bodiesFile = join(tmp, "bodies.json");
    await Deno.writeTextFile(
      bodiesFile,
      JSON.stringify(rows.slice(0, 200).map((r) => JSON.stringify({ features: r }))),
    );
    const bodyLines = join(tmp, "bodies.txt");
    await Deno.writeTextFile(
      bodyLines,
      rows.slice(0, 200).map((r) => JSON.stringify({ features: r })).join("\n") + "\n",
    );
    await Deno.writeTextFile(join(tmp, "bodies.lua"), wrkScript(bodyLines));
    const o: Options = {
      duration,
      connections,
      warmup,
      batchRows,
      batchRequests,
      bodiesFile,
      batchBody: JSON.stringify({ instances: rows.slice(0, batchRows) }),
      oneRow: JSON.stringify({ features: rows[0] }),
      deadline,
      loadGenerator: values["load-generator"] as "wrk" | "autocannon",
      wrkScript: join(tmp, "bodies.lua"),
    };

    const results: TargetResult[] = [];
    const done = (r: TargetResult) => {
      results.push(r);
      if (r.error) log(`${r.name} failed: ${r.error.split("\n").slice(0, 2).join(" ")}`);
      else log(`${r.name}: ${r.load?.requests_per_s} req/s, p50 ${r.load?.latency_ms.p50} ms`);
    };
    for (const t of targets) {
      if (t === "fluxops") {
        const port = freePort();
        const args = [
          "run",
          "-A",
          // As host.json runs it: serving threads share the port, and a small young generation.
          "--unstable-net",
          SERVE_V8_FLAGS,
          values["fluxops-entry"],
          "--port",
          String(port),
          "--hostname",
          HOST,
          "--model",
          modelFile,
        ];
        log(`fluxops on ${HOST}:${port}`);
        done(
          await runTarget(
            "FluxOps (Deno)",
            Deno.execPath(),
            args,
            childEnv(),
            port,
            o,
            model.classes,
          ),
        );
      } else {
        const engine = t === "onnx" ? "onnx" : "sklearn";
        const label = t === "onnx" ? "ONNX Runtime" : "scikit-learn";
        for (const w of pyWorkers) {
          const port = freePort();
          const args = [
            join(HERE, "peer_server.py"),
            "--engine",
            engine,
            "--model",
            modelFile,
            "--port",
            String(port),
            "--host",
            HOST,
            "--workers",
            String(w),
            ...(values["py-no-access-log"] ? ["--no-access-log"] : []),
            ...(values["py-sync"] ? ["--sync"] : []),
            ...(values["py-reuse-port"] ? ["--reuse-port"] : []),
          ];
          log(`${label} peer (${w} worker${w > 1 ? "s" : ""}) on ${HOST}:${port}`);
          done(
            await runTarget(
              `${label} (FastAPI/uvicorn, ${w} worker${w > 1 ? "s" : ""}${
                w > 1 && values["py-reuse-port"] ? ", SO_REUSEPORT" : ""
              })`,
              values.python,
              args,
              childEnv({ PYTHONUNBUFFERED: "1" }),
              port,
              o,
              model.classes,
            ),
          );
        }
      }
    }

    // Cross-check: the same rows must get the same probabilities from every target.
    const ref = results.find((r) => r.name.startsWith("FluxOps"))?.probabilities;
    let agreement: Record<string, number> | null = null;
    if (ref) {
      let max = 0;
      let compared = 0;
      for (const r of results) {
        if (!r.probabilities || r.probabilities === ref) continue;
        compared++;
        for (let i = 0; i < ref.length; i++) {
          for (let c = 0; c < ref[i]!.length; c++) {
            max = Math.max(max, Math.abs(ref[i]![c]! - r.probabilities[i]![c]!));
          }
        }
      }
      if (compared) agreement = { max_abs_diff: max, rows: ref.length, targets: compared };
    }
    for (const r of results) delete r.probabilities;

    const doc = {
      meta: {
        model: values.model ? modelFile : "trained for this run (deno task train --trees 100)",
        model_version: model.version,
        duration_s: duration,
        warmup_s: warmup,
        connections,
        batch_rows: batchRows,
        batch_requests: batchRequests,
        load_generator: o.loadGenerator === "wrk"
          ? `${wrkVersion} (one thread, ${o.connections} connections, its own process)`
          : "autocannon 9.0.0 (npm:autocannon@9.0.0 under Deno, its own process)",
        cpus: navigator.hardwareConcurrency,
        loadavg_at_start: loadAtStart,
        calibration_ms: calibrationMs,
        deno: Deno.version.deno,
        host: HOST,
        time: new Date().toISOString(),
      },
      results,
      agreement,
    };
    if (values.json) console.log(JSON.stringify(doc, null, 2));
    else console.log(markdown(doc, results));
    return results.some((r) => r.error) ? 1 : 0;
  } catch (err) {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await stopAll();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
