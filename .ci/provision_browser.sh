#!/usr/bin/env bash
# Provision headless Chromium and its WebDriver for the leaderboard's browser tests (Debian packages; the
# tests use /usr/bin/chromium and /usr/bin/chromedriver). Idempotent.
set -euo pipefail
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi
/usr/bin/chromium --version
