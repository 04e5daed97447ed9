#!/usr/bin/env bash
# Make sure the Lambda runtime's Node major (24, nodejs24.x) is on this machine for the bundled-handler
# tests and the bundle bench: the official binary as published on the npm registry (node-linux-<arch>,
# whose bin/node is the binary), unpacked once under .cache/node24 (git-ignored). Prints the binary's path.
# Safe to call from many processes at once (a lock file serialises the install).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${DRIFTGATE_NODE24_VERSION:-24.22.3}"
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "ensure-node24: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
dir="$root/.cache/node24/$version-$arch"
node="$dir/bin/node"
lock="${TMPDIR:-/tmp}/driftgate-node24-$(printf %s "$root" | cksum | cut -d" " -f1).lock"

ready() {
  [ -x "$node" ] && [ "$("$node" --version 2>/dev/null)" = "v$version" ]
}

if ready; then echo "$node"; exit 0; fi
# DRIFTGATE_NODE24_CHECK_ONLY=1: only say whether it is installed (exit 3 when not).
if [ "${DRIFTGATE_NODE24_CHECK_ONLY:-}" = 1 ]; then exit 3; fi

exec 9>"$lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if ready; then echo "$node"; exit 0; fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# npm pack fetches the tarball through npm's own client and cache (no install scripts run).
(cd "$work" && npm pack --silent "node-linux-$arch@$version" >&2)
mkdir -p "$work/unpacked"
tar -xzf "$work"/node-linux-"$arch"-"$version".tgz -C "$work/unpacked"
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
mv "$work/unpacked/package" "$dir"
chmod +x "$node"
ready || { echo "ensure-node24: $node does not report v$version" >&2; exit 1; }
echo "$node"
