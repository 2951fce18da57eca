#!/usr/bin/env bash
# Installs the external tools the tests use, into a cache outside the repository
# (FLUXOPS_TOOL_CACHE, default ~/.cache/fluxops-tools). Idempotent: a warm cache is fast, a cold
# one is rebuilt from the registries.
set -euo pipefail
cache="${FLUXOPS_TOOL_CACHE:-$HOME/.cache/fluxops-tools}"
mkdir -p "$cache"
here="$(cd "$(dirname "$0")" && pwd)"

# Python tools: the Triton/KServe V2 client (PyPI).
req="$here/requirements-test.txt"
stamp="$cache/venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -x "$cache/venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup_tools: python venv in $cache/venv"
  python3 -m venv "$cache/venv"
  "$cache/venv/bin/pip" install -q --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
fi
