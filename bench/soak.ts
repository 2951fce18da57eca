/**
 * `deno task bench:soak`: load and soak of the packaged function (issue 7, item 2), loopback
 * only and bounded in time. It starts `dist/function` the way the Azure Functions host does
 * (`host.json`, an empty `DENO_DIR`) with the seed model, warms it up with both request shapes,
 * records the server's RSS, then runs 64 connections of one-row `POST /api/predict` and then of
 * 100-row batches (60 s each, autocannon in its own process), sampling RSS every second. Last,
 * 1,000 slowloris connections (request heads and bodies sent a byte at a time) stay open while
 * `GET /api/health` is timed on fresh connections. It reports throughput, latency, errors, RSS
 * after warm-up against RSS after the runs (pass within 10%) and the health-check latency, as
 * Markdown or `--json`; `--write` puts the Markdown into docs/benchmarks.md between
 * `<!-- soak:start -->` and `<!-- soak:end -->`.
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { hostLaunch, platformEnv } from "../function/package/launch.ts";
import { parseCli } from "../lib/cli/parse_cli.ts";
import { freePort } from "../lib/net/loopback.ts";
import { buildFunction } from "../tasks/build_function.ts";
import { percentile, type SlowClientResult, startSlowClients, timedGet } from "./slow_clients.ts";
import { gaussianRows } from "./common.ts";

const HERE = dirname(new URL(import.meta.url).pathname);
const REPO = dirname(HERE);
const HOST = "127.0.0.1";
const DOC = join(REPO, "docs", "benchmarks.md");
const START = "<!-- soak:start -->";
const END = "<!-- soak:end -->";

const HELP = `deno task bench:soak: load and soak of the packaged function, loopback only

Usage: deno task bench:soak [options]

  --model PATH          model.json or folder to serve (default: train the seed model,
                        100 trees, into a temporary folder)
  --duration S          seconds of each measured run, one-row then batch (default 60)
  --warmup S            seconds of warm-up per request shape before the RSS baseline
                        (default 15)
  --connections C       concurrent keep-alive connections (default 64)
  --batch-rows N        rows per batch request (default 100)
  --rss-limit PCT       largest RSS growth from warm-up to the end that passes (default 10)
  --slow-clients N      slowloris connections (default 1000: 70% stalling in the request
                        head, 30% trickling a body); 0 skips that part
  --slow-seconds S      seconds of health checks among them (default 20)
  --json                print JSON instead of Markdown
  --write               also put the Markdown into docs/benchmarks.md between the soak markers
  -h, --help            show this help

The package is built first if dist/function is missing or stale. Every process started is
stopped on exit, error or Ctrl-C. Exit status: 0 every check passed, 1 a check failed or the
run failed, 2 usage error.`;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const r1 = (x: number) => Math.round(x * 10) / 10;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * What http_load_client.ts prints for one run (the fields used here). Not imported from there:
 * that script's autocannon import would enter the root config's lock.
 */
interface ClientResult {
  elapsed_s: number;
  requests: number;
  responses_2xx: number;
  non_2xx: number;
  errors: number;
  timeouts: number;
  requests_per_s: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number; mean: number };
  status_codes: Record<string, number>;
  client_cpu_s: number;
}

/** Resident memory of a process, in KiB: now (VmRSS) and its peak so far (VmHWM). */
interface Rss {
  rss_kib: number;
  hwm_kib: number;
}

function rssOf(pid: number): Rss | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kib = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1]);
    return { rss_kib: kib("VmRSS"), hwm_kib: kib("VmHWM") };
  } catch {
    return undefined;
  }
}

function cpuSeconds(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** The packaged handler, started as the Functions host starts it. */
interface Server {
  readonly pid: number;
  readonly port: number;
  stderrTail(): string;
  exited(): boolean;
  stop(): Promise<Deno.CommandStatus>;
}

async function startPackage(dir: string, model: string, denoDir: string): Promise<Server> {
  const port = freePort();
  const launch = await hostLaunch({
    dir,
    port,
    hostEnv: platformEnv(denoDir, { FLUXOPS_MODEL: model }),
  });
  const child = new Deno.Command(launch.command, {
    args: launch.args,
    cwd: launch.cwd,
    env: launch.env,
    clearEnv: true,
    stdin: "null",
    stdout: "null", // one log line per request: tens of MB a minute
    stderr: "piped",
  }).spawn();
  let tail = "";
  let exited = false;
  const status = child.status.finally(() => (exited = true));
  const draining = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of child.stderr) tail = (tail + dec.decode(chunk)).slice(-4000);
  })();
  let stopping: Promise<Deno.CommandStatus> | undefined;
  const server: Server = {
    pid: child.pid,
    port,
    stderrTail: () => tail.trim(),
    exited: () => exited,
    stop: () => {
      stopping ??= (async () => {
        if (!exited) {
          try {
            child.kill("SIGTERM");
          } catch { /* gone */ }
        }
        const timer = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* gone */ }
        }, 40_000);
        const s = await status;
        clearTimeout(timer);
        await draining;
        return s;
      })();
      return stopping;
    },
  };
  const deadline = performance.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`the package exited during start-up:\n${tail}`);
    try {
      const res = await fetch(`http://${HOST}:${port}/api/health`);
      await res.body?.cancel();
      if (res.status === 200) return server;
    } catch { /* not listening yet */ }
    if (performance.now() > deadline) {
      await server.stop();
      throw new Error(`the package was not healthy within 30 s:\n${tail}`);
    }
    await sleep(50);
  }
}

/** One run of the load generator (bench/http_load_client.ts, autocannon) in its own process. */
async function runClient(
  url: string,
  bodiesFile: string,
  connections: number,
  seconds: number,
): Promise<ClientResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--no-config",
      "--frozen",
      `--lock=${join(HERE, "http_load_client.lock")}`,
      join(HERE, "http_load_client.ts"),
      "--url",
      url,
      "--bodies",
      bodiesFile,
      "--connections",
      String(connections),
      "--duration",
      String(seconds),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout((seconds + 120) * 1000),
  }).spawn();
  running.add(child);
  try {
    const out = await child.output();
    if (!out.success) {
      throw new Error(`load generator failed:\n${new TextDecoder().decode(out.stderr)}`);
    }
    return JSON.parse(new TextDecoder().decode(out.stdout)) as ClientResult;
  } finally {
    running.delete(child);
  }
}

const running = new Set<Deno.ChildProcess>();

/** RSS every second, with the phase it was taken in. */
class RssSampler {
  readonly samples: { t_s: number; phase: string; rss_kib: number }[] = [];
  phase = "start";
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #t0 = performance.now();
  constructor(readonly pid: number) {
    this.#timer = setInterval(() => {
      const m = rssOf(pid);
      if (m) {
        this.samples.push({
          t_s: r1((performance.now() - this.#t0) / 1000),
          phase: this.phase,
          rss_kib: m.rss_kib,
        });
      }
    }, 1000);
  }
  maxIn(phase: string): number {
    return Math.max(...this.samples.filter((s) => s.phase === phase).map((s) => s.rss_kib));
  }
  stop(): void {
    clearInterval(this.#timer);
  }
}

interface PhaseResult {
  name: string;
  rows_per_request: number;
  connections: number;
  load: ClientResult;
  server_cpu_s: number;
  rss_end_kib: number;
  rss_max_kib: number;
}

interface SlowResult {
  clients: number;
  header: number;
  body: number;
  seconds: number;
  checks: number;
  non_200: number;
  health_ms: { p50: number; p99: number; max: number };
  answered_408: number;
  closed_by_server: number;
  header_still_open: number;
  rss_before_kib: number;
  rss_after_kib: number;
}

function cpuModel(): string {
  try {
    const m = /model name\s*:\s*(.+)/.exec(Deno.readTextFileSync("/proc/cpuinfo"));
    return m?.[1]?.trim() ?? "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

const mib = (kib: number) => (kib / 1024).toFixed(1);

function markdown(doc: SoakDoc): string {
  const m = doc.meta;
  const lines = [
    `Measured ${m.time.slice(0, 16)}Z on ${m.cpu}, ${m.cpus} CPUs, load generator and server on ` +
    `the same machine; Deno ${m.deno}; packaged function (\`dist/function\`, started as ` +
    `\`host.json\` says), model ${m.model_version}; autocannon 9.0.0 in its own process, ` +
    `${m.connections} keep-alive connections. Warm-up: ${m.warmup_s} s of each request shape ` +
    `before the RSS baseline. 1-minute load average at the start: ${
      m.loadavg_at_start.toFixed(2)
    }.`,
    "",
    "| run | duration s | req/s | rows/s | p50 ms | p90 ms | p99 ms | max ms | errors | non-2xx | server CPU (cores) | RSS at end MiB | RSS max MiB |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const p of doc.phases) {
    const l = p.load;
    lines.push(
      `| ${p.name} | ${l.elapsed_s.toFixed(0)} | ${l.requests_per_s.toFixed(0)} | ${
        (l.requests_per_s * p.rows_per_request).toFixed(0)
      } | ${l.latency_ms.p50.toFixed(2)} | ${l.latency_ms.p90.toFixed(2)} | ${
        l.latency_ms.p99.toFixed(2)
      } | ${l.latency_ms.max.toFixed(1)} | ${l.errors + l.timeouts} | ${l.non_2xx} | ${
        (p.server_cpu_s / l.elapsed_s).toFixed(2)
      } | ${mib(p.rss_end_kib)} | ${mib(p.rss_max_kib)} |`,
    );
  }
  const r = doc.rss;
  lines.push(
    "",
    `RSS of the server process (VmRSS): ${mib(r.start_kib)} MiB after start-up, ` +
      `**${mib(r.after_warmup_kib)} MiB after warm-up, ${mib(r.after_runs_kib)} MiB after both ` +
      `runs (${r.change_pct >= 0 ? "+" : ""}${r.change_pct.toFixed(1)}%, limit ` +
      `${r.limit_pct}%: ${r.pass ? "pass" : "FAIL"})**; peak (VmHWM) ${mib(r.hwm_kib)} MiB.`,
  );
  const s = doc.slowloris;
  if (s) {
    lines.push(
      "",
      `Slowloris: ${s.clients} connections (${s.header} sending a request head a byte every ` +
        `second, ${s.body} a body) held for ${s.seconds} s while \`GET /api/health\` was timed ` +
        `on a fresh connection every 10 ms: ${s.checks} checks, ${s.non_200} not 200, ` +
        `**p50 ${s.health_ms.p50.toFixed(2)} ms, p99 ${s.health_ms.p99.toFixed(2)} ms**, max ` +
        `${s.health_ms.max.toFixed(1)} ms. ${s.answered_408} slow bodies were answered 408 at ` +
        `the body timeout and ${s.closed_by_server} connections closed by the server; ` +
        `${s.header_still_open} slow request heads were still open at the end (Deno.serve ` +
        `2.9.6 has no header timeout). RSS ${mib(s.rss_before_kib)} MiB before, ` +
        `${mib(s.rss_after_kib)} MiB with them open.`,
    );
  }
  lines.push(
    "",
    `Checks: ${doc.checks.map((c) => `${c.name}: ${c.pass ? "pass" : "FAIL"}`).join("; ")}.`,
  );
  return lines.join("\n");
}

interface SoakDoc {
  meta: {
    time: string;
    cpu: string;
    cpus: number;
    deno: string;
    model_version: string;
    connections: number;
    warmup_s: number;
    duration_s: number;
    loadavg_at_start: number;
  };
  phases: PhaseResult[];
  rss: {
    start_kib: number;
    after_warmup_kib: number;
    after_runs_kib: number;
    hwm_kib: number;
    change_pct: number;
    limit_pct: number;
    pass: boolean;
    samples: { t_s: number; phase: string; rss_kib: number }[];
  };
  slowloris: SlowResult | null;
  server_exit_code: number;
  checks: { name: string; pass: boolean }[];
}

/** Writes `block` between the soak markers of docs/benchmarks.md. */
export async function writeDoc(block: string, path = DOC): Promise<void> {
  const text = await Deno.readTextFile(path);
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${path}: no ${START} ... ${END} markers`);
  await Deno.writeTextFile(
    path,
    `${text.slice(0, a + START.length)}\n\n${block}\n\n${text.slice(b)}`,
  );
}

async function slowloris(
  server: Server,
  clients: number,
  seconds: number,
): Promise<SlowResult> {
  const header = Math.round(clients * 0.7);
  const body = clients - header;
  const before = rssOf(server.pid)?.rss_kib ?? NaN;
  const slow = await startSlowClients({ port: server.port, header, body, trickleMs: 1000 });
  const checks: { status: number; ms: number }[] = [];
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    checks.push(await timedGet(server.port, "/api/health").catch(() => ({ status: 0, ms: NaN })));
    await sleep(10);
  }
  const after = rssOf(server.pid)?.rss_kib ?? NaN;
  const headOpen = slow.open();
  const results: SlowClientResult[] = await slow.stop();
  const ms = checks.map((c) => c.ms).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return {
    clients,
    header,
    body,
    seconds,
    checks: checks.length,
    non_200: checks.filter((c) => c.status !== 200).length,
    health_ms: { p50: r3(percentile(ms, 0.5)), p99: r3(percentile(ms, 0.99)), max: r3(ms.at(-1)!) },
    answered_408: results.filter((r) => /^HTTP\/1\.1 408/.test(r.statusLine ?? "")).length,
    closed_by_server: results.filter((r) => r.closedAfterMs !== undefined).length,
    header_still_open: Math.min(headOpen, header),
    rss_before_kib: before,
    rss_after_kib: after,
  };
}

/** Runs the soak; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const cli = parseCli(args, {
    model: { type: "string" },
    duration: { type: "number", min: 1, default: 60 },
    warmup: { type: "number", min: 0, default: 15 },
    connections: { type: "integer", min: 1, default: 64 },
    "batch-rows": { type: "integer", min: 2, default: 100 },
    "rss-limit": { type: "number", min: 0, default: 10 },
    "slow-clients": { type: "integer", min: 0, default: 1000 },
    "slow-seconds": { type: "number", min: 1, default: 20 },
    json: { type: "boolean", default: false },
    write: { type: "boolean", default: false },
  }, HELP);
  if (cli.exit !== undefined) return cli.exit;
  const { values } = cli;
  const { duration, warmup, connections } = values;
  const batchRows = values["batch-rows"];
  const rssLimit = values["rss-limit"];
  const slowClients = values["slow-clients"];
  const slowSeconds = values["slow-seconds"];
  const log = (msg: string) => console.error(`soak: ${msg}`);
  const loadAtStart = Deno.loadavg()[0] ?? 0;
  if (loadAtStart > 0.5) log(`warning: 1-minute load average ${loadAtStart.toFixed(2)}`);

  const tmp = await Deno.makeTempDir({ prefix: "fluxops-soak-" });
  let server: Server | undefined;
  let sampler: RssSampler | undefined;
  const onSignal = () => {
    log("interrupted; stopping every process started");
    for (const c of running) {
      try {
        c.kill("SIGKILL");
      } catch { /* gone */ }
    }
    void (server?.stop() ?? Promise.resolve())
      .then(() => Deno.remove(tmp, { recursive: true }))
      .catch(() => {})
      .finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    log("building dist/function if stale");
    const build = await buildFunction({ reuseIfFresh: true });
    let modelFile: string;
    if (values.model) {
      modelFile = resolve(values.model);
      if ((await Deno.stat(modelFile)).isDirectory) modelFile = join(modelFile, "model.json");
    } else {
      log("training the seed model (100 trees)");
      const out = join(tmp, "model");
      const trained = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", join(REPO, "trainer", "main.ts"), "--out", out],
        cwd: REPO,
        stdout: "null",
        stderr: "piped",
      }).output();
      if (!trained.success) throw new Error(new TextDecoder().decode(trained.stderr));
      modelFile = join(out, "model.json");
    }
    const model = JSON.parse(await Deno.readTextFile(modelFile)) as {
      version: string;
      features: { mean: number; std: number }[];
    };
    const rows = gaussianRows(model.features, 2000, 7);
    const oneRow = join(tmp, "one_row.json");
    const batch = join(tmp, "batch.json");
    await Deno.writeTextFile(
      oneRow,
      JSON.stringify(rows.slice(0, 200).map((r) => JSON.stringify({ features: r }))),
    );
    await Deno.writeTextFile(
      batch,
      JSON.stringify(
        Array.from(
          { length: 20 },
          (_, i) => JSON.stringify({ instances: rows.slice(i * batchRows, (i + 1) * batchRows) }),
        ),
      ),
    );

    server = await startPackage(build.out, modelFile, join(tmp, "deno-dir"));
    log(`package listening on ${HOST}:${server.port} (pid ${server.pid})`);
    sampler = new RssSampler(server.pid);
    const start = rssOf(server.pid)!;
    const url = `http://${HOST}:${server.port}/api/predict`;
    if (warmup > 0) {
      sampler.phase = "warm-up";
      log(`warm-up: ${warmup} s one-row, ${warmup} s batch`);
      await runClient(url, oneRow, connections, warmup);
      await runClient(url, batch, connections, warmup);
    }
    await sleep(1000);
    const afterWarmup = rssOf(server.pid)!;
    const phases: PhaseResult[] = [];
    for (
      const [name, file, rowsPer] of [
        ["one row", oneRow, 1],
        [`batch of ${batchRows}`, batch, batchRows],
      ] as const
    ) {
      sampler.phase = name;
      log(`${name}: ${duration} s at ${connections} connections`);
      const cpu0 = cpuSeconds(server.pid);
      const load = await runClient(url, file, connections, duration);
      const cpu = cpuSeconds(server.pid) - cpu0;
      await sleep(1000);
      phases.push({
        name,
        rows_per_request: rowsPer,
        connections,
        load,
        server_cpu_s: r3(cpu),
        rss_end_kib: rssOf(server.pid)!.rss_kib,
        rss_max_kib: sampler.maxIn(name),
      });
      log(`${name}: ${load.requests_per_s} req/s, p99 ${load.latency_ms.p99} ms`);
    }
    const afterRuns = rssOf(server.pid)!;
    let slow: SlowResult | null = null;
    if (slowClients > 0) {
      sampler.phase = "slowloris";
      log(`slowloris: ${slowClients} connections for ${slowSeconds} s`);
      slow = await slowloris(server, slowClients, slowSeconds);
    }
    sampler.stop();
    const exit = await server.stop();
    const changePct = 100 * (afterRuns.rss_kib - afterWarmup.rss_kib) / afterWarmup.rss_kib;
    const checks = [
      ...phases.map((p) => ({
        name: `${p.name}: no errors`,
        pass: p.load.errors + p.load.timeouts + p.load.non_2xx === 0,
      })),
      { name: `RSS within ${rssLimit}%`, pass: changePct <= rssLimit },
      ...(slow
        ? [{
          name: "health under slowloris: all 200, p99 < 100 ms",
          pass: slow.non_200 === 0 && slow.health_ms.p99 < 100,
        }]
        : []),
      { name: "clean exit on SIGTERM", pass: exit.code === 0 },
    ];
    const doc: SoakDoc = {
      meta: {
        time: new Date().toISOString(),
        cpu: cpuModel(),
        cpus: navigator.hardwareConcurrency,
        deno: Deno.version.deno,
        model_version: model.version,
        connections,
        warmup_s: warmup,
        duration_s: duration,
        loadavg_at_start: loadAtStart,
      },
      phases,
      rss: {
        start_kib: start.rss_kib,
        after_warmup_kib: afterWarmup.rss_kib,
        after_runs_kib: afterRuns.rss_kib,
        hwm_kib: afterRuns.hwm_kib,
        change_pct: r1(changePct),
        limit_pct: rssLimit,
        pass: changePct <= rssLimit,
        samples: sampler.samples,
      },
      slowloris: slow,
      server_exit_code: exit.code,
      checks,
    };
    const md = markdown(doc);
    if (values.json) console.log(JSON.stringify(doc, null, 2));
    else console.log(md);
    if (values.write) {
      await writeDoc(md);
      // The table and paragraphs as deno fmt lays them out, so `deno fmt --check` stays clean.
      await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", DOC], cwd: REPO }).output();
      log(`wrote ${DOC}`);
    }
    return checks.every((c) => c.pass) ? 0 : 1;
  } catch (err) {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    if (server?.stderrTail()) console.error(server.stderrTail());
    return 1;
  } finally {
    sampler?.stop();
    await server?.stop();
    Deno.removeSignalListener("SIGINT", onSignal);
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
