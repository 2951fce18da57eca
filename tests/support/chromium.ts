/**
 * Opens local HTML files in headless Chromium and runs JavaScript in them, speaking the Chrome
 * DevTools Protocol over Deno's built-in WebSocket (no puppeteer or playwright). Every call
 * starts a fresh browser with a throwaway profile and stops it again, so tests that run with
 * `--sanitize-ops --sanitize-resources` leak nothing.
 * @module
 */

import { delimiter, join } from "node:path";

/** A page open in headless Chromium. */
export interface Page {
  /**
   * Evaluates `expression` in the page (awaiting it if it is a promise) and returns its value,
   * which must be JSON-serialisable.
   */
  evaluate<T>(expression: string): Promise<T>;
  /** Saves a PNG screenshot of the whole page, not just the viewport, to `path`. */
  screenshot(path: string): Promise<void>;
  /** Errors the page has logged so far: failed loads, policy violations, console errors. */
  errors(): string[];
}

/** Options of {@link withPage}. */
export interface PageOptions {
  /** Viewport width in CSS pixels. Default 1280. */
  width?: number;
  /** Viewport height in CSS pixels. Default 900. */
  height?: number;
  /** Longest wait for any one step (start, a protocol call, the load event). Default 30 s. */
  timeoutMs?: number;
}

/**
 * Where Chromium is: `$CHROMIUM_BIN` when set (as given, so a wrong path fails loudly), else
 * `/usr/bin/chromium`, else `chromium` or `chromium-browser` on `PATH`; `undefined` if none.
 */
export function chromiumPath(): string | undefined {
  const override = Deno.env.get("CHROMIUM_BIN");
  if (override) return override;
  const candidates = ["/usr/bin/chromium"];
  for (const dir of (Deno.env.get("PATH") ?? "").split(delimiter)) {
    if (dir) candidates.push(join(dir, "chromium"), join(dir, "chromium-browser"));
  }
  return candidates.find(isExecutableFile);
}

/**
 * Starts headless Chromium, opens `url` (e.g. a `file://` URL) in a new page, waits for its
 * load event, runs `fn` with the page, then closes the browser and deletes its profile.
 *
 * @example
 * ```ts ignore
 * const title = await withPage("file:///tmp/report.html", (page) => page.evaluate<string>("document.title"));
 * ```
 */
export async function withPage<T>(
  url: string | URL,
  fn: (page: Page) => Promise<T>,
  { width = 1280, height = 900, timeoutMs = 30_000 }: PageOptions = {},
): Promise<T> {
  const bin = chromiumPath();
  if (bin === undefined) {
    throw new Error(
      "Chromium not found: install it (apt-get install -y chromium) or set CHROMIUM_BIN",
    );
  }
  const browser = await launch(bin, timeoutMs);
  try {
    const cdp = await CdpConnection.open(browser.wsUrl, timeoutMs);
    try {
      return await openPage(cdp, String(url), fn, { width, height, timeoutMs });
    } finally {
      await cdp.send("Browser.close").catch(() => undefined);
      await cdp.close();
    }
  } finally {
    await browser.stop();
  }
}

interface CdpMessage {
  id?: number;
  method?: string;
  sessionId?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

type Pending = {
  resolve: (result: Record<string, unknown>) => void;
  reject: (err: Error) => void;
};

/** One WebSocket connection to the browser; page sessions share it (flattened sessions). */
class CdpConnection {
  readonly #ws: WebSocket;
  readonly #closed: Promise<void>;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Set<(msg: CdpMessage) => void>();
  #nextId = 1;

  private constructor(ws: WebSocket, closed: Promise<void>, timeoutMs: number) {
    this.#ws = ws;
    this.#closed = closed;
    this.#timeoutMs = timeoutMs;
    ws.onmessage = (event: MessageEvent) => this.#receive(String(event.data));
  }

  static async open(url: string, timeoutMs: number): Promise<CdpConnection> {
    const ws = new WebSocket(url);
    const closed = new Promise<void>((resolve) => ws.addEventListener("close", () => resolve()));
    const opened = new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve(), { once: true });
      ws.addEventListener("error", () => reject(new Error(`cannot connect to ${url}`)), {
        once: true,
      });
    });
    try {
      await withTimeout(opened, timeoutMs, `connecting to ${url}`);
    } catch (err) {
      ws.close();
      await closed;
      throw err;
    }
    const conn = new CdpConnection(ws, closed, timeoutMs);
    closed.then(() => conn.#failAll(new Error("DevTools connection closed")));
    return conn;
  }

  /** Sends a command and resolves with its result; rejects on a protocol error or timeout. */
  send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    if (this.#ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new Error(`${method}: DevTools connection is closed`));
    }
    const id = this.#nextId++;
    const reply = new Promise<Record<string, unknown>>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
    });
    this.#ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return withTimeout(reply, this.#timeoutMs, method).finally(() => this.#pending.delete(id));
  }

  /** Calls `listener` with every event until the returned function is called. */
  listen(listener: (msg: CdpMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the params of the next `method` event of `sessionId`. */
  next(method: string, sessionId: string): Promise<Record<string, unknown>> {
    let stop = () => {};
    const event = new Promise<Record<string, unknown>>((resolve) => {
      stop = this.listen((msg) => {
        if (msg.method === method && msg.sessionId === sessionId) resolve(msg.params ?? {});
      });
    });
    return withTimeout(event, this.#timeoutMs, `waiting for ${method}`).finally(stop);
  }

  async close(): Promise<void> {
    if (this.#ws.readyState !== WebSocket.CLOSED) this.#ws.close();
    await this.#closed;
  }

  #receive(data: string): void {
    const msg = JSON.parse(data) as CdpMessage;
    if (msg.id === undefined) {
      for (const listener of this.#listeners) listener(msg);
      return;
    }
    const pending = this.#pending.get(msg.id);
    if (!pending) return;
    if (msg.error) pending.reject(new Error(`DevTools: ${msg.error.message} (${msg.error.code})`));
    else pending.resolve(msg.result ?? {});
  }

  #failAll(err: Error): void {
    for (const pending of this.#pending.values()) pending.reject(err);
    this.#pending.clear();
  }
}

async function openPage<T>(
  cdp: CdpConnection,
  url: string,
  fn: (page: Page) => Promise<T>,
  { width, height }: Required<PageOptions>,
): Promise<T> {
  const { targetId } = await cdp.send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await cdp.send("Target.attachToTarget", { targetId, flatten: true });
  if (typeof sessionId !== "string") throw new Error("DevTools: no session for the new page");
  const send = (method: string, params: Record<string, unknown> = {}) =>
    cdp.send(method, params, sessionId);

  const errors: string[] = [];
  const stopLog = cdp.listen((msg) => {
    if (msg.sessionId !== sessionId) return;
    const entry = msg.params?.entry as { level?: string; text?: string } | undefined;
    if (msg.method === "Log.entryAdded" && entry?.level === "error") {
      errors.push(entry.text ?? "");
    }
    if (msg.method === "Runtime.exceptionThrown") errors.push(JSON.stringify(msg.params));
  });
  try {
    await send("Page.enable");
    await send("Log.enable");
    await send("Runtime.enable");
    await send("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
    const loaded = cdp.next("Page.loadEventFired", sessionId);
    const nav = await send("Page.navigate", { url });
    if (typeof nav.errorText === "string" && nav.errorText !== "") {
      loaded.catch(() => undefined);
      throw new Error(`cannot open ${url}: ${nav.errorText}`);
    }
    await loaded;

    const page: Page = {
      async evaluate<V>(expression: string): Promise<V> {
        const reply = await send("Runtime.evaluate", {
          expression,
          returnByValue: true,
          awaitPromise: true,
        });
        const details = reply.exceptionDetails as
          | { text?: string; exception?: { description?: string } }
          | undefined;
        if (details) {
          throw new Error(
            `page threw: ${details.exception?.description ?? details.text ?? "an exception"}`,
          );
        }
        return (reply.result as { value?: unknown } | undefined)?.value as V;
      },
      async screenshot(path: string): Promise<void> {
        const metrics = await send("Page.getLayoutMetrics");
        const size = metrics.cssContentSize as { width: number; height: number };
        const shot = await send("Page.captureScreenshot", {
          format: "png",
          captureBeyondViewport: true,
          clip: { x: 0, y: 0, width: size.width, height: size.height, scale: 1 },
        });
        const bytes = Uint8Array.from(atob(String(shot.data)), (c) => c.charCodeAt(0));
        await Deno.writeFile(path, bytes);
      },
      errors: () => [...errors],
    };
    return await fn(page);
  } finally {
    stopLog();
  }
}

interface Browser {
  wsUrl: string;
  stop(): Promise<void>;
}

async function launch(bin: string, timeoutMs: number): Promise<Browser> {
  const userDataDir = await Deno.makeTempDir({ prefix: "fluxops-chromium-" });
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(bin, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-crash-reporter",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--mute-audio",
        `--user-data-dir=${userDataDir}`,
        "--remote-debugging-port=0",
        "about:blank",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    await Deno.remove(userDataDir, { recursive: true });
    throw new Error(`cannot start Chromium at ${bin}: ${err}`, { cause: err });
  }

  // Read stderr to its end in the background, so Chromium never blocks on a full pipe and the
  // stream is consumed before the test ends; the DevTools URL is the first thing we need from it.
  let log = "";
  let announce: (url: string) => void = () => {};
  const announced = new Promise<string>((resolve) => (announce = resolve));
  const drained = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      log += chunk;
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(log);
      if (match?.[1]) announce(match[1]);
    }
  })();

  const stop = async () => {
    const exited = await withTimeout(child.status, 5_000, "Chromium exit").then(
      () => true,
      () => false,
    );
    if (!exited) {
      try {
        child.kill("SIGKILL");
      } catch {
        // It exited between the timeout and the kill.
      }
    }
    await child.status;
    await drained;
    await removeWithRetry(userDataDir);
  };

  const exitedEarly = child.status.then((s) => {
    throw new Error(
      `Chromium exited with code ${s.code} before it was ready:\n${log.slice(-2000)}`,
    );
  });
  try {
    const wsUrl = await withTimeout(
      Promise.race([announced, exitedEarly]),
      timeoutMs,
      "waiting for Chromium's DevTools URL",
    );
    exitedEarly.catch(() => undefined);
    return { wsUrl, stop };
  } catch (err) {
    exitedEarly.catch(() => undefined);
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await stop();
    throw err;
  }
}

/** Chromium's helper processes can still be writing to the profile for a moment after exit. */
async function removeWithRetry(dir: string): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      await Deno.remove(dir, { recursive: true });
      return;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      if (attempt >= 10) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Rejects with a message naming `what` if `promise` takes longer than `ms`; always clears. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function isExecutableFile(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}
