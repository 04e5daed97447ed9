#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests when it is missing; safe to run repeatedly.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
# A lock so two test workers starting at once do not run apt concurrently.
exec 9>/tmp/ensure-chromium.lock
flock 9
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y chromium
