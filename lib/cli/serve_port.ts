/**
 * The port a FluxOps server listens on, decided in one place for every entry point that serves
 * (`deno task serve`, `deno task start`, the packaged handler the Azure Functions host starts):
 * `--port` when given, else `FUNCTIONS_CUSTOMHANDLER_PORT` (which the host sets for a custom
 * handler and never passes as a flag), else 7071, the Functions host's own default.
 * @module
 */
import { parseNumber } from "./parse_cli.ts";

/** The variable the Azure Functions host sets to the port a custom handler must listen on. */
export const PORT_ENV = "FUNCTIONS_CUSTOMHANDLER_PORT";

/** The port when neither `--port` nor {@link PORT_ENV} says: the Functions host's default. */
export const DEFAULT_PORT = 7071;

/** The `--port` flag for `parseCli`: an integer from 1 to 65535. */
export const PORT_OPTION = { type: "integer", min: 1, max: 65535 } as const;

/**
 * The port to listen on: `flag` (an already validated `--port`), else {@link PORT_ENV} read
 * through `env`, else {@link DEFAULT_PORT}. Throws `UsageError`
 * ("FUNCTIONS_CUSTOMHANDLER_PORT must be an integer from 1 to 65535, got http") for a bad
 * variable that would have decided.
 *
 * @example
 * ```ts
 * import { servePort } from "./serve_port.ts";
 *
 * const env = (name: string) => ({ FUNCTIONS_CUSTOMHANDLER_PORT: "8080" })[name];
 * console.assert(servePort(9000, env) === 9000);
 * console.assert(servePort(undefined, env) === 8080);
 * console.assert(servePort(undefined, () => undefined) === 7071);
 * ```
 */
export function servePort(
  flag: number | undefined,
  env: (name: string) => string | undefined,
): number {
  if (flag !== undefined) return flag;
  const text = env(PORT_ENV);
  if (text === undefined || text === "") return DEFAULT_PORT;
  return parseNumber(PORT_ENV, text, PORT_OPTION);
}
