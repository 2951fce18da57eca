#!/usr/bin/env bash
# Installs the external tools the tests use, into a cache outside the repository
# (FLUXOPS_TOOL_CACHE, default ~/.cache/fluxops-tools). Idempotent: a warm cache is fast, a cold
# one is rebuilt from the registries.
set -euo pipefail
cache="${FLUXOPS_TOOL_CACHE:-$HOME/.cache/fluxops-tools}"
mkdir -p "$cache"
here="$(cd "$(dirname "$0")" && pwd)"

# Python tools (PyPI): the Triton/KServe V2 client, and schemathesis for API fuzzing.
req="$here/requirements-test.txt"
stamp="$cache/venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -x "$cache/venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup_tools: python venv in $cache/venv"
  python3 -m venv "$cache/venv"
  "$cache/venv/bin/pip" install -q --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
fi

# openssl makes the throwaway CA and server certificates of the HTTPS test servers (Azurite,
# the Key Vault stand-in).
if ! command -v openssl >/dev/null 2>&1; then
  echo "setup_tools: openssl (apt)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl; } \
    >/tmp/fluxops-apt-openssl.log 2>&1 || echo "setup_tools: openssl install failed"
fi

# The npm packages pinned in deno.json (the app) and tools/deno.json (the app plus the test and
# tool packages, Azurite among them): the tests start Azurite with `deno run --config
# tools/deno.json`, and its first download takes about a minute on a cold cache.
if command -v deno >/dev/null 2>&1; then deno_cmd=(deno); else deno_cmd=(npx -y deno@2.9.6); fi
(cd "$here/.." && "${deno_cmd[@]}" install --quiet &&
  "${deno_cmd[@]}" install --quiet --config tools/deno.json) >/tmp/fluxops-deno-install.log 2>&1 ||
  { echo "setup_tools: deno install failed"; tail -5 /tmp/fluxops-deno-install.log; }
