/**
 * What serving on more than one thread would give the function: N processes, each serving
 * `createHandler` with Deno.serve on one shared port (SO_REUSEPORT, `--unstable-net` in Deno
 * 2.9.6), the kernel spreading connections over them, driven by wrk (one thread) at one-row
 * `POST /api/predict` (200 rows drawn around the training data, as bench/http_load.ts). A probe for issue 3's p50 target, not the shipped server: each process
 * keeps its own drift window and release counters (see docs/benchmarks.md).
 *
 * ```sh
 * deno run -A bench/reuse_port_probe.ts --model .fluxops/models/<version> --processes 1,2
 * ```
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createHandler } from "../function/handler.ts";
import { LineWriter, writeAllSync } from "../lib/log/line_writer.ts";
import { loadModel } from "../lib/model/artifact.ts";
import { resolveModelPath } from "../lib/model/local_store.ts";
import { freePort } from "../lib/net/loopback.ts";
import { ModelHolder } from "../lib/serving/model_holder.ts";

const HELP = `bench/reuse_port_probe.ts: the function's handler on N processes sharing one port

Usage: deno run -A bench/reuse_port_probe.ts --model PATH [options]

  --model PATH        model.json or a model folder (required)
  --processes LIST    process counts to measure, e.g. 1,2 (default 1,2)
  --duration S        measured seconds per count, after 3 s of warm-up (default 8)
  --connections C     wrk connections (default 50)
  -h, --help          show this help

Needs wrk (apt-get install wrk). Loopback only; every process started is stopped.`;

/** 200 one-row bodies drawn around the training distribution (mulberry32 + Box-Muller, seed 1). */
async function bodies(modelPath: string): Promise<string[]> {
  const file = (await Deno.stat(modelPath)).isDirectory ? join(modelPath, "model.json") : modelPath;
  const { features } = JSON.parse(await Deno.readTextFile(file)) as {
    features: { mean: number; std: number }[];
  };
  let seed = 1;
  const rand = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return Array.from({ length: 200 }, () =>
    JSON.stringify({
      features: features.map((f) => Math.round((f.mean + f.std * normal()) * 1000) / 1000),
    }));
}

/** Child mode: serve until SIGTERM. */
async function serve(model: string, port: number): Promise<void> {
  const holder = new ModelHolder();
  holder.set(await loadModel(await resolveModelPath(model)));
  const out = new LineWriter((b) => writeAllSync(Deno.stdout, b));
  const handler = createHandler({ holder, log: (e) => out.line(JSON.stringify(e)) });
  const server = Deno.serve(
    { port, hostname: "127.0.0.1", reusePort: true, onListen: () => {} },
    handler,
  );
  Deno.addSignalListener("SIGTERM", () => void server.shutdown());
  await server.finished;
  out.flush();
}

async function wrk(url: string, script: string, seconds: number, connections: number) {
  const out = await new Deno.Command("wrk", {
    args: ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", "-s", script, url],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`wrk failed: ${new TextDecoder().decode(out.stderr)}`);
  const text = new TextDecoder().decode(out.stdout);
  const ms = (label: string) => {
    const m = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`).exec(text);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  return { rps: Math.round(rps), p50: ms("50%"), p99: ms("99%"), non2xx };
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      processes: { type: "string", default: "1,2" },
      duration: { type: "string", default: "8" },
      connections: { type: "string", default: "50" },
      serve: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) {
    console.error("error: --model is required (see --help)");
    return 2;
  }
  if (values.serve) {
    await serve(values.model, Number(values.serve));
    return 0;
  }
  const counts = values.processes.split(",").map(Number);
  if (counts.some((n) => !Number.isInteger(n) || n < 1)) {
    console.error("error: --processes: a list of positive integers");
    return 2;
  }
  const tmp = await Deno.makeTempDir({ prefix: "reuse_port_probe_" });
  const script = join(tmp, "post.lua");
  const lines = join(tmp, "bodies.txt");
  await Deno.writeTextFile(lines, (await bodies(values.model)).join("\n") + "\n");
  await Deno.writeTextFile(
    script,
    `local requests = {}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
for body in io.lines(${
      JSON.stringify(lines)
    }) do requests[#requests + 1] = wrk.format(nil, nil, nil, body) end
local i = 0
request = function()
  i = i % #requests + 1
  return requests[i]
end
`,
  );
  console.log(
    "| processes | req/s | p50 ms | p99 ms | non-2xx |\n| ---: | ---: | ---: | ---: | ---: |",
  );
  try {
    for (const n of counts) {
      const port = freePort();
      const children = Array.from({ length: n }, () =>
        new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            "--unstable-net",
            import.meta.filename!,
            "--serve",
            String(port),
            "--model",
            values.model!,
          ],
          stdout: "null",
          stderr: "inherit",
        }).spawn());
      try {
        const url = `http://127.0.0.1:${port}/api/predict`;
        for (let i = 0; i < 100; i++) {
          const ok = await fetch(`http://127.0.0.1:${port}/api/health`).then(async (r) => {
            await r.body?.cancel();
            return r.ok;
          }).catch(() => false);
          if (ok) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        await new Promise((r) => setTimeout(r, 500)); // every process listening
        await wrk(url, script, 3, Number(values.connections));
        const r = await wrk(url, script, Number(values.duration), Number(values.connections));
        console.log(
          `| ${n} | ${r.rps} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.non2xx} |`,
        );
      } finally {
        for (const c of children) {
          try {
            c.kill("SIGTERM");
          } catch { /* gone */ }
          await c.status;
        }
      }
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
