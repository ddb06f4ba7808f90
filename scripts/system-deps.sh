#!/usr/bin/env bash
# Debian packages the tests need: chromium (browser tests through Playwright) and a CJK font
# (PDF reports with Chinese text). Installs only what is missing.
set -euo pipefail
need=()
for pkg in chromium fonts-wqy-microhei; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages: ${need[*]}"
$sudo apt-get update -qq || true
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
