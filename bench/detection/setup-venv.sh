#!/usr/bin/env bash
# Creates bench/.venv-detection: Evidently (the peer) and pyarrow/scipy for the detection benchmark, from PyPI.
# Evidently 0.7 needs pandas < 3. Idempotent: an existing venv with evidently importable is kept.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
venv="$here/.venv-detection"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import evidently, pyarrow, scipy' 2>/dev/null; then
  echo "bench/.venv-detection ready"; exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet 'evidently==0.7.*' 'pandas<3' pyarrow scipy numpy
"$venv/bin/python" -c 'import evidently; print("evidently", evidently.__version__)'
