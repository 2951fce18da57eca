#!/usr/bin/env bash
# What a newcomer's first `deno task start` downloads: runs it on an empty DENO_DIR until it
# serves (or a timeout), then counts the npm packages in the cache, their size on disk, and
# looks for Deno's "Ignored build scripts" warning box in its output.
# Usage: bench/first_run.sh [repo-dir] [timeout-seconds]   (default: this repository, 900 s)
set -uo pipefail
repo="$(cd "${1:-$(dirname "$0")/..}" && pwd)"
limit="${2:-900}"
deno_cmd="${DENO:-deno}"
DENO_DIR="$(mktemp -d /tmp/fluxops-first-run-XXXXXX)"
export DENO_DIR
log="$DENO_DIR.log"
port=$((20000 + RANDOM % 20000))
started=$(date +%s.%N)
# Its own process group, so stopping it stops `deno task`'s child too.
setsid bash -c 'cd "$1" && exec timeout "$2" "$3" task start --port "$4"' _ \
  "$repo" "$limit" "$deno_cmd" "$port" >"$log" 2>&1 &
pid=$!
until grep -q "^serving " "$log" 2>/dev/null || ! kill -0 "$pid" 2>/dev/null; do sleep 0.5; done
served=$(date +%s.%N)
grep -q "^serving " "$log" && ok=yes || ok=no
kill -- "-$pid" 2>/dev/null
wait "$pid" 2>/dev/null
reg="$DENO_DIR/npm/registry.npmjs.org"
# One folder per package version: <name>/<version> or @scope/<name>/<version>.
count=$( (find "$reg" -mindepth 2 -maxdepth 2 -type d -not -path "$reg/@*"
  find "$reg" -mindepth 3 -maxdepth 3 -type d -path "$reg/@*") 2>/dev/null | wc -l)
bytes=$(du -sb "$DENO_DIR/npm" 2>/dev/null | cut -f1)
disk_kb=$(du -sk "$DENO_DIR/npm" 2>/dev/null | cut -f1)
tarballs=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -c '^Download https://registry.npmjs.org/.*\.tgz$')
box=$(grep -c "Ignored build scripts" "$log")
printf 'served: %s\nnpm packages: %s (tarballs downloaded: %s)\nnpm cache: %s MB (%s MB on disk)\nwarning box lines: %s\nseconds to serving: %.0f\nload: %s\n' \
  "$ok" "$count" "$tarballs" "$(( ${bytes:-0} / 1000000 ))" "$(( ${disk_kb:-0} / 1000 ))" "$box" "$(echo "$served - $started" | bc)" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
echo "log: $log; cache: $DENO_DIR"
