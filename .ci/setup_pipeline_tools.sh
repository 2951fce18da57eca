#!/usr/bin/env bash
# Installs what the pipeline tests (tests/pipeline/) need: rsync and git, which gitlab-ci-local
# uses to run a job with the shell executor, and gitlab-ci-local itself (npm, pinned in
# tools/deno.json, run under Deno because versions >= 4.74 need Node 22). Idempotent and quiet when
# everything is there. tests/pipeline/state_access_test.ts also runs OpenTofu and its provider
# mirror, which .ci/setup_infra_tools.sh installs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

missing=()
for tool in rsync git; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup_pipeline_tools: ${missing[*]} (apt)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } \
    >/tmp/fluxops-apt-pipeline.log 2>&1 ||
    { tail -5 /tmp/fluxops-apt-pipeline.log; echo "setup_pipeline_tools: apt-get install failed"; exit 1; }
fi

# Fetch gitlab-ci-local into DENO_DIR now, so the tests do not download it under a timeout.
if command -v deno >/dev/null 2>&1; then deno_cmd=(deno); else deno_cmd=(npx -y deno@2.9.6); fi
(cd "$here/.." && "${deno_cmd[@]}" run -A --quiet --config tools/deno.json gitlab-ci-local --version) \
  >/tmp/fluxops-gitlab-ci-local.log 2>&1 ||
  { tail -5 /tmp/fluxops-gitlab-ci-local.log; echo "setup_pipeline_tools: gitlab-ci-local failed"; exit 1; }
