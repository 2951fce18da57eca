/**
 * Parses a model-store location (`--store`, `FLUXOPS_STORE`) into what to open: a folder, a
 * Blob Storage container reached with `DefaultAzureCredential`, or a container reached through
 * `AZURE_STORAGE_CONNECTION_STRING` (Azurite and local runs only). Credentials never belong in
 * the location, so URLs carrying a query string or user info are refused.
 * @module
 */
import { fileURLToPath } from "node:url";
import { InvalidInput } from "../errors.ts";
import { isLoopbackHost } from "../net/loopback.ts";

/** A folder on the local file system. */
export interface FileLocation {
  readonly kind: "file";
  readonly path: string;
}

/** A Blob Storage container addressed by URL, authenticated with an Entra ID token. */
export interface BlobUrlLocation {
  readonly kind: "blob";
  readonly auth: "default-credential";
  /** The container's URL, normalised: no trailing slash, no query. */
  readonly url: string;
  readonly account: string;
  readonly container: string;
}

/** A Blob Storage container in the account named by `AZURE_STORAGE_CONNECTION_STRING`. */
export interface BlobConnectionStringLocation {
  readonly kind: "blob";
  readonly auth: "connection-string";
  readonly container: string;
}

/** Any Blob Storage location. */
export type BlobLocation = BlobUrlLocation | BlobConnectionStringLocation;

/** Where a model store lives. */
export type StoreLocation = FileLocation | BlobLocation;

const CONTAINER = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const ACCOUNT = /^[a-z0-9]{3,24}$/;

/** The location as it may appear in a message: no query string, no user info. */
function shown(text: string): string {
  return text.replace(/[?#].*$/s, "").replace(/\/\/[^/@]*@/, "//");
}

function invalid(text: string, why: string): InvalidInput {
  return new InvalidInput(`store location "${shown(text)}": ${why}`);
}

function checkContainer(text: string, name: string): string {
  if (!CONTAINER.test(name)) {
    throw invalid(
      text,
      `"${name}" is not a valid container name (3-63 lowercase letters, digits and single ` +
        "hyphens, starting and ending with a letter or digit)",
    );
  }
  return name;
}

function pathSegments(text: string, url: URL): string[] {
  const raw = url.pathname.replace(/\/$/, "");
  const segments = raw === "" ? [] : raw.slice(1).split("/");
  if (segments.some((s) => s === "")) throw invalid(text, "the path has an empty segment");
  return segments.map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw invalid(text, "the path is not valid percent-encoding");
    }
  });
}

function parseHttps(text: string, url: URL): BlobUrlLocation {
  const segments = pathSegments(text, url);
  const virtualHost = /^([^.]+)\.blob\./.exec(url.hostname);
  let account: string;
  let container: string;
  if (virtualHost) {
    if (segments.length !== 1) {
      throw invalid(text, "expected https://<account>.blob.<endpoint suffix>/<container>");
    }
    account = virtualHost[1]!;
    container = segments[0]!;
  } else {
    if (segments.length !== 2) {
      throw invalid(
        text,
        "expected https://<account>.blob.core.windows.net/<container>, or " +
          "https://<host>[:port]/<account>/<container> for a path-style endpoint",
      );
    }
    account = segments[0]!;
    container = segments[1]!;
  }
  if (!ACCOUNT.test(account)) {
    throw invalid(text, `"${account}" is not a valid storage account name (3-24 a-z, 0-9)`);
  }
  checkContainer(text, container);
  const base = `https://${url.host}`;
  return {
    kind: "blob",
    auth: "default-credential",
    url: virtualHost ? `${base}/${container}` : `${base}/${account}/${container}`,
    account,
    container,
  };
}

/**
 * Parses a store location.
 *
 * - a path (`.fluxops/models`, `/srv/models`, `C:\models`) or a `file:` URL: the file store;
 * - `https://<account>.blob.core.windows.net/<container>` (any `<account>.blob.<suffix>`, so
 *   sovereign clouds too), or a path-style `https://<host>[:port]/<account>/<container>`
 *   (Azurite over HTTPS, IP endpoints): Blob Storage with `DefaultAzureCredential`;
 * - `azblob://<container>`: Blob Storage through `AZURE_STORAGE_CONNECTION_STRING`.
 *
 * Plain `http:` is refused: a local Azurite over HTTP is reached with `azblob://` and a
 * connection string. Query strings (SAS tokens) and user info are refused everywhere.
 *
 * @throws {InvalidInput} with a message naming the location (without any query string).
 * @example
 * ```ts
 * import { parseStoreUrl } from "./store_url.ts";
 * parseStoreUrl("https://acme.blob.core.windows.net/models");
 * // { kind: "blob", auth: "default-credential", url: "https://acme.blob.core.windows.net/models",
 * //   account: "acme", container: "models" }
 * parseStoreUrl("azblob://models"); // { kind: "blob", auth: "connection-string", container: "models" }
 * parseStoreUrl(".fluxops/models"); // { kind: "file", path: ".fluxops/models" }
 * ```
 */
export function parseStoreUrl(text: string): StoreLocation {
  const trimmed = text.trim();
  if (trimmed === "") throw invalid(text, "it is empty");
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase();
  // One letter before the colon is a Windows drive (C:\models), not a URL scheme.
  if (scheme === undefined || scheme.length === 1) return { kind: "file", path: trimmed };

  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw invalid(text, "not a valid URL");
  }
  if (url.username !== "" || url.password !== "") {
    throw invalid(text, "credentials in the URL are not allowed; use DefaultAzureCredential");
  }
  if (url.search !== "" || url.hash !== "") {
    throw invalid(
      text,
      "a query string (a SAS token?) is not allowed in the store URL; grant the identity " +
        "access instead, or use azblob:// with AZURE_STORAGE_CONNECTION_STRING locally",
    );
  }
  switch (scheme) {
    case "file": {
      if (url.host !== "" && url.hostname !== "localhost") {
        throw invalid(text, "file: URLs must name a local path (file:///path)");
      }
      return { kind: "file", path: fileURLToPath(url) };
    }
    case "https":
      return parseHttps(text, url);
    case "http":
      throw invalid(
        text,
        isLoopbackHost(url.hostname)
          ? "plain http is only for a local Azurite: use azblob://<container> with " +
            "AZURE_STORAGE_CONNECTION_STRING"
          : "plain http is not allowed; use https://",
      );
    case "azblob": {
      if (url.port !== "" || (url.pathname !== "" && url.pathname !== "/")) {
        throw invalid(text, "expected azblob://<container>");
      }
      return { kind: "blob", auth: "connection-string", container: checkContainer(text, url.host) };
    }
    default:
      throw invalid(
        text,
        `unsupported scheme "${scheme}:" (use a path, file:, https:// or azblob://)`,
      );
  }
}
