#!/usr/bin/env bash
# Sets up and runs the demo archive: installs what is missing, builds aula, generates
# legacy-format recordings (FLV, WMV, PAL MPEG-2, MP3), ingests them into ./data (SQLite)
# and serves the archive. Open the address it prints. AULA_LISTEN changes the address.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
echo "==> building aula (release)"
cargo build --release --locked
exec ./target/release/aula demo "$@"
