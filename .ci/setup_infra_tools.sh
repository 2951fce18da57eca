#!/usr/bin/env bash
# Installs the infrastructure-as-code tools the tests use, into the tool cache outside the
# repository (FLUXOPS_TOOL_CACHE, default ~/.cache/fluxops-tools):
#   bin/tofu                        OpenTofu, built from the Go module proxy
#   terraform-providers/            a filesystem mirror with the azurerm, random and time
#                                   providers, built from the Go module proxy (no provider
#                                   registry needed); FLUXOPS_PROVIDER_PLATFORMS="linux_amd64
#                                   darwin_arm64 ..." cross-builds them for more platforms, for
#                                   `deno task infra lock` (infra/.terraform.lock.hcl)
#   tofurc                          a CLI config that installs providers from that mirror only;
#                                   point TF_CLI_CONFIG_FILE at it
#   checkov-venv/bin/checkov        checkov from PyPI
#   go/mod, go/build                GOMODCACHE and GOCACHE of those builds
# Idempotent and quiet when warm (a stamp per tool holds the hash of its pinned inputs); a cold
# cache is rebuilt, printing how long each build took. Measured on 2 cores, cold: 13 min and 10 GB
# of Go caches in all, most of it the azurerm provider (see docs/IaC_Design.md).
set -euo pipefail

cache="${FLUXOPS_TOOL_CACHE:-$HOME/.cache/fluxops-tools}"
here="$(cd "$(dirname "$0")" && pwd)"
modules="$here/infra_tools"

AZURERM_VERSION=5.2.0 # the version the built commit is registered as in the mirror
RANDOM_VERSION=3.9.0
TIME_VERSION=0.14.2 # a tagged release on the Go module proxy
# The Go toolchain the committed lock file's provider hashes were computed with: Go builds are
# reproducible (-trimpath, no cgo) for the same toolchain, flags and target, whatever the host,
# so this toolchain makes the same provider binaries and hashes on CI, here and on a laptop.
GO_VERSION=go1.26.8
CHECKOV_VERSION=3.3.30

go_bin="$(command -v go || true)"
[ -n "$go_bin" ] || go_bin=/usr/local/go/bin/go
[ -x "$go_bin" ] || { echo "setup_infra_tools: Go is required (go not on PATH, no /usr/local/go)" >&2; exit 1; }

export GOMODCACHE="$cache/go/mod"
export GOCACHE="$cache/go/build"
export GOFLAGS="-buildvcs=false -mod=readonly"
export GOTOOLCHAIN=local
export CGO_ENABLED=0
# The checksum database is not reachable from the build machines; go.sum in each tools module
# pins every module's hash instead.
export GOSUMDB=off
export GOPROXY="${GOPROXY:-https://proxy.golang.org}"

stamps="$cache/stamps"
mkdir -p "$stamps" "$cache/bin"

go_version="$("$go_bin" env GOVERSION)"
if [ "$go_version" != "$GO_VERSION" ]; then
  # Another Go on this machine: fetch the pinned toolchain from the Go module proxy
  # (golang.org/toolchain), where providers built with it match the lock file's hashes. The
  # toolchain module is verified against GONOSUMDB's exception, since GOSUMDB=off refuses
  # toolchain downloads outright and the checksum database is not reachable here.
  echo "setup_infra_tools: Go is $go_version; fetching $GO_VERSION from the Go module proxy" >&2
  GOSUMDB= GONOSUMDB=golang.org/toolchain GOTOOLCHAIN="$GO_VERSION" "$go_bin" version >&2 || true
  goos="$("$go_bin" env GOHOSTOS)"
  goarch="$("$go_bin" env GOHOSTARCH)"
  pinned="$GOMODCACHE/golang.org/toolchain@v0.0.1-$GO_VERSION.$goos-$goarch/bin/go"
  if [ -x "$pinned" ]; then go_bin="$pinned"; go_version="$("$go_bin" env GOVERSION)"; fi
fi
if [ "$go_version" != "$GO_VERSION" ]; then
  echo "setup_infra_tools: Go is $go_version, the lock file's provider hashes are for $GO_VERSION:" \
    "providers built with another toolchain differ, and \`deno task infra\` (init" \
    "-lockfile=readonly) will reject them; install $GO_VERSION" >&2
  exit 1
fi

host_platform="$("$go_bin" env GOOS)_$("$go_bin" env GOARCH)"
# Providers for more platforms than this one only matter to the lock file; tofu itself is
# built for this machine only.
platforms="${FLUXOPS_PROVIDER_PLATFORMS:-$host_platform}"
mirror="$cache/terraform-providers"

# stamp NAME INPUT... : the hash of the given files and strings, to compare with the stored one.
stamp_of() {
  local part
  for part in "$@"; do
    if [ -f "$part" ]; then cat "$part"; else printf '%s\n' "$part"; fi
  done | sha256sum | cut -d' ' -f1
}

# build NAME MODULE_DIR PACKAGE OUTPUT LDFLAGS [GOOS GOARCH]
build() {
  local name=$1 dir=$2 pkg=$3 out=$4 ldflags=$5 goos=${6:-} goarch=${7:-} want t0
  # A cross-build's target is part of its stamp; a build for this machine's own is not.
  want=$(stamp_of "$dir/go.mod" "$dir/go.sum" "$ldflags" "$go_version" ${goos:+"$goos/$goarch"})
  if [ -x "$out" ] && [ "$(cat "$stamps/$name" 2>/dev/null)" = "$want" ]; then return 0; fi
  echo "setup_infra_tools: building $name (Go module proxy, $(nproc) cores)"
  t0=$SECONDS
  mkdir -p "$cache/logs"
  # Built beside the logs, moved into place when whole: an interrupted build leaves no empty
  # platform folder in the mirror (which would break `tofu providers lock`).
  if ! (cd "$dir" && GOOS=${goos:-$("$go_bin" env GOOS)} GOARCH=${goarch:-$("$go_bin" env GOARCH)} \
    "$go_bin" build -trimpath -ldflags="$ldflags" -o "$cache/logs/$name.partial" "$pkg") \
    >"$cache/logs/$name.log" 2>&1; then
    tail -30 "$cache/logs/$name.log" >&2
    echo "setup_infra_tools: building $name failed (log: $cache/logs/$name.log)" >&2
    return 1
  fi
  mkdir -p "$(dirname "$out")"
  mv -f "$cache/logs/$name.partial" "$out"
  echo "$want" >"$stamps/$name"
  echo "setup_infra_tools: $name built in $((SECONDS - t0)) s, $(du -m "$out" | cut -f1) MB"
}

# provider TYPE VERSION MODULE_DIR PACKAGE LDFLAGS: builds, for each platform, into the
# mirror's unpacked layout for OpenTofu's default registry and links the same folder for
# Terraform's.
provider() {
  local type=$1 version=$2 dir=$3 pkg=$4 ldflags=$5 host platform folder exe
  for platform in $platforms; do
    folder="$mirror/registry.opentofu.org/hashicorp/$type/$version/$platform"
    if [ "$platform" = "$host_platform" ]; then
      build "terraform-provider-$type" "$dir" "$pkg" "$folder/terraform-provider-${type}_v$version" \
        "$ldflags"
    else
      exe=""
      [ "${platform%%_*}" = windows ] && exe=.exe
      build "terraform-provider-$type-$platform" "$dir" "$pkg" \
        "$folder/terraform-provider-${type}_v$version$exe" "$ldflags" "${platform%%_*}" "${platform#*_}"
    fi
    for host in registry.terraform.io; do
      mkdir -p "$mirror/$host/hashicorp/$type/$version"
      ln -sfn "$folder" "$mirror/$host/hashicorp/$type/$version/$platform"
    done
  done
}

build tofu "$modules/tofu" github.com/opentofu/opentofu/cmd/tofu "$cache/bin/tofu" \
  "-s -w -X github.com/opentofu/opentofu/version.dev=no"
provider random "$RANDOM_VERSION" "$modules/random" \
  github.com/terraform-providers/terraform-provider-random "-s -w"
provider time "$TIME_VERSION" "$modules/time" github.com/hashicorp/terraform-provider-time "-s -w"
provider azurerm "$AZURERM_VERSION" "$modules/azurerm" \
  github.com/hashicorp/terraform-provider-azurerm \
  "-s -w -X github.com/hashicorp/terraform-provider-azurerm/version.ProviderVersion=$AZURERM_VERSION"

# Providers come from the mirror only: no registry is asked, so init works offline.
rc="$cache/tofurc"
rc_text="provider_installation {
  filesystem_mirror {
    path    = \"$mirror\"
    include = [\"registry.opentofu.org/hashicorp/*\", \"registry.terraform.io/hashicorp/*\"]
  }
}"
[ "$(cat "$rc" 2>/dev/null)" = "$rc_text" ] || printf '%s\n' "$rc_text" >"$rc"

venv="$cache/checkov-venv"
want=$(stamp_of "checkov==$CHECKOV_VERSION" "$(python3 --version 2>&1)")
if [ ! -x "$venv/bin/checkov" ] || [ "$(cat "$stamps/checkov" 2>/dev/null)" != "$want" ]; then
  echo "setup_infra_tools: checkov $CHECKOV_VERSION (PyPI) in $venv"
  t0=$SECONDS
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION"
  echo "$want" >"$stamps/checkov"
  echo "setup_infra_tools: checkov installed in $((SECONDS - t0)) s"
fi
