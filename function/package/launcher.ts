/**
 * The package's launcher, `bin/launch`: the executable `host.json` names. It adds the host of the
 * managed-identity endpoint to `deno`'s `--allow-net` and then `exec`s `bin/deno` with the rest
 * of the arguments unchanged, so the handler can fetch its token wherever the platform put it.
 *
 * Why a launcher: the platform chooses `IDENTITY_ENDPOINT` (App Service, Functions) or
 * `MSI_ENDPOINT` (older images) when it starts the container, and it is not 127.0.0.1: public
 * write-ups of App Service Linux show `http://169.254.129.x:8081/msi/token`, and a container
 * address is possible too. `host.json` `arguments` are a fixed command line where `%NAME%` expands
 * to the whole value of a setting, so they cannot carry the host part of a URL. Allowing every
 * link-local address is not possible either: Deno's `--allow-net` takes hosts, not ranges.
 *
 * The script is POSIX `sh` (the Functions Linux images are Debian, `/bin/sh` is dash); it adds
 * nothing when neither variable is set, and refuses (adds nothing, says why on stderr) a value
 * that is not `http(s)://host[:port]/...` with plain host characters, so a strange value cannot
 * widen the permissions beyond one host. `exec` keeps one process: SIGTERM from the host reaches
 * `deno` directly, and nothing stays resident beside it.
 * @module
 */

/** The launcher's path in the package, relative to the app root. */
export const LAUNCHER_PATH = "bin/launch";

/** The variables the launcher reads, first set one wins (`@azure/identity` reads the same). */
export const IDENTITY_ENDPOINT_VARIABLES = ["IDENTITY_ENDPOINT", "MSI_ENDPOINT"] as const;

/** The launcher's text. */
export const LAUNCHER_SCRIPT = `#!/bin/sh
# FluxOps custom-handler launcher, written by tasks/build_function.ts (see
# function/package/launcher.ts): adds the managed-identity endpoint's host, which the platform
# chooses at run time, to deno's --allow-net, then runs bin/deno with the other arguments.
set -eu
case $0 in */*) here=\${0%/*} ;; *) here=. ;; esac
endpoint=\${IDENTITY_ENDPOINT:-\${MSI_ENDPOINT:-}}
extra=
if [ -n "$endpoint" ]; then
  rest=\${endpoint#http://}
  [ "$rest" != "$endpoint" ] || rest=\${endpoint#https://}
  host=\${rest%%/*}
  case $rest in
    "$endpoint" | "" | /*) host= ;;
  esac
  case $host in
    "" | *[!]A-Za-z0-9.:[-]*)
      echo "fluxops launcher: the managed-identity endpoint is not http(s)://host[:port]/...;" \\
        "its host is not allowed, so managed-identity tokens will be refused" >&2
      ;;
    *) extra=",$host" ;;
  esac
fi
for arg; do
  shift
  case $arg in --allow-net=*) arg=$arg$extra ;; esac
  set -- "$@" "$arg"
done
exec "$here/deno" "$@"
`;
