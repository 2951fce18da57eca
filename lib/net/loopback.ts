/**
 * Tells loopback hosts apart from everything else, for the rules that allow a weaker setting
 * (plain HTTP, an unverified Key Vault challenge) only towards a local stand-in.
 * @module
 */

/**
 * True if `hostname` (as in `URL.hostname`) names this machine's loopback interface:
 * `localhost`, any `127.0.0.0/8` address, or `::1`.
 *
 * @example
 * ```ts
 * import { isLoopbackHost } from "./loopback.ts";
 * isLoopbackHost("127.0.0.1"); // true
 * isLoopbackHost("myaccount.blob.core.windows.net"); // false
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (host === "[::1]" || host === "::1") return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m !== null && m.slice(1).every((octet) => Number(octet) <= 255);
}

/** A free TCP port on 127.0.0.1 (free when asked: whoever binds it next gets it). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
