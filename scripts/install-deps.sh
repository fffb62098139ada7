#!/usr/bin/env bash
# Installs what aula needs on a fresh Debian machine, skipping what is already there:
# ffmpeg/ffprobe (transcoding), Chromium (browser tests), Node.js and the npm packages
# of web/ (player, styles, test driver). Safe to run again. Usage: scripts/install-deps.sh [--browser]
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=no
[ "${1:-}" = "--browser" ] && want_browser=yes

packages=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || packages+=(ffmpeg)
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
if [ "$want_browser" = yes ] && ! command -v chromium >/dev/null 2>&1; then
  packages+=(chromium)
fi

if [ ${#packages[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${packages[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

# npm packages for web/, exactly as locked; never a browser download.
if [ ! -d web/node_modules/video.js ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  echo "==> installing web/ packages from the npm registry"
  (cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
