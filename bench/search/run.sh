#!/usr/bin/env bash
# Search benchmark: builds a synthetic twenty-year archive (4,000 sessions, 60,000 agenda
# items, ~40 million words of minutes and transcripts), indexes it, and times 20 queries
# through aula's HTTP API and through the index directly, in one run.
# Usage: bench/search/run.sh [SCALE] [REPEATS]   (SCALE 1.0 = the full archive; 0.1 for a quick look)
set -euo pipefail
cd "$(dirname "$0")/../.."
SCALE=${1:-1.0}
REPEATS=${2:-30}
cargo build --release --locked --example bench_search 2>&1 | tail -1
# WORK=dir keeps the archive and index there, and a later run with the same WORK reuses them
# (SCALE is then the one of the first run).
if [ -n "${WORK:-}" ]; then
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d /tmp/aula-search-bench.XXXXXX)
  trap 'rm -rf "$WORK"' EXIT
fi
AULA_LOG=warn ./target/release/examples/bench_search "$WORK" "$SCALE" "$REPEATS"
