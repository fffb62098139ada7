#!/usr/bin/env bash
# Sets up and runs every test: installs what is missing (ffmpeg, Chromium, the npm packages
# of web/), then runs the unit and integration tests, which generate their own media with
# ffmpeg, start the real server on free ports and drive a headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --browser
echo "==> running the tests"
cargo test --locked --all-targets
