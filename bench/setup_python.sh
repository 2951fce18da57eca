#!/usr/bin/env bash
# Creates bench/.venv and installs the pinned scikit-learn peer (bench/requirements.txt).
# Idempotent: re-running does nothing (and prints nothing) once the venv matches
# requirements.txt. Set PYTHON to choose the interpreter (default: python3, needs >= 3.11).
#
# Benchmarking note: on some processors these machines set OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE in the environment. Leave them alone globally, but run the Python
# peer with both unset in that one command, e.g.
#   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE bench/.venv/bin/python bench/sklearn_peer.py
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
req="$here/requirements.txt"
stamp="$venv/.requirements.sha256"
python="${PYTHON:-python3}"

want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
  echo "setup_python: creating $venv" >&2
  "$python" -m venv "$venv"
fi
echo "setup_python: installing $(grep -cvE '^\s*(#|$)' "$req") pinned packages" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
"$venv/bin/python" -c 'import sklearn, numpy; print("setup_python: scikit-learn", sklearn.__version__, "numpy", numpy.__version__)' >&2
echo "$want" > "$stamp"
