/**
 * Driver for blob_backend_test.ts: opens the store URL in argv[0] the way the CLI and function
 * do (DefaultAzureCredential, no credential passed), round-trips one object, and prints a JSON
 * result. Run in its own process so NODE_EXTRA_CA_CERTS and IDENTITY_* apply from the start.
 * @module
 */
import { FluxError } from "../../../lib/errors.ts";
import { openBlobBackend } from "../../../lib/store/open_blob_backend.ts";
import { parseStoreUrl } from "../../../lib/store/store_url.ts";

// The operation's own time (the process start is not part of it): tests bound this one.
const started = performance.now();
const ms = () => Math.round(performance.now() - started);
const location = parseStoreUrl(Deno.args[0] ?? "");
if (location.kind !== "blob") throw new Error("expected a blob location");
const backend = openBlobBackend(location, {
  retry: { maxTries: 2, retryDelayMs: 50 },
  timeoutMs: 20_000,
});
try {
  const created = await backend.ensureContainer();
  const bytes = new TextEncoder().encode('{"hello":"identity"}');
  const etag = await backend.put("models/v1/model.json", bytes, { ifNoneMatch: "*" });
  let conflict = "";
  try {
    await backend.put("models/v1/model.json", bytes, { ifNoneMatch: "*" });
  } catch (err) {
    conflict = err instanceof FluxError ? err.code : String(err);
  }
  const keys = await backend.list("models/");
  // The download comes last: Azurite's HTTPS server under Deno 2.9 stops answering on a
  // kept-alive connection once it has served a blob download (plain HTTP is not affected).
  const got = await backend.get("models/v1/model.json");
  console.log(JSON.stringify({
    ok: true,
    created,
    location: backend.location,
    etagMatches: got?.etag === etag,
    text: got ? new TextDecoder().decode(got.bytes) : null,
    keys,
    conflict,
    ms: ms(),
  }));
} catch (err) {
  const e = err instanceof FluxError ? err : new FluxError("store_error", String(err));
  console.log(
    JSON.stringify({ ok: false, name: e.name, code: e.code, message: e.message, ms: ms() }),
  );
}
