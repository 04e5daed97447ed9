#!/usr/bin/env bash
# Make sure the project venv (.venv) exists and has moto[server] and the other test-only Python tools.
# Safe to call from many processes at once: the work is serialised by a lock file, and a process that
# waited for the lock finds the venv ready and returns at once.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
# The lock lives outside the repo so it never shows up in git status.
lock="${TMPDIR:-/tmp}/driftgate-venv-$(printf %s "$root" | cksum | cut -d" " -f1).lock"

ready() {
  [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import moto.server' >/dev/null 2>&1
}

if ready; then exit 0; fi

exec 9>"$lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

if ready; then exit 0; fi
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet -r "$root/requirements-dev.txt"
ready || { echo "ensure-moto: moto still not importable from $venv" >&2; exit 1; }
