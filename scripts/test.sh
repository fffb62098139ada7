#!/usr/bin/env bash
# Sets up and runs every test: installs what is missing (ffmpeg, Chromium, PostgreSQL 15,
# the npm packages of web/), then runs the unit and integration tests, which generate their
# own media with ffmpeg, start the real server on free ports and drive a headless Chromium.
# The integration suite runs twice: on SQLite (the default), then on a throwaway
# PostgreSQL started here (initdb + pg_ctl, a temporary directory, a free port) and
# stopped at the end, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --browser
echo "==> checking the Docker files (syntax and structure; Docker cannot run here)"
bash scripts/check-docker-files.sh >/dev/null
echo "==> the speech engine's own unit tests (asr/, with its virtual environment)"
(cd asr && ../.venv-asr/bin/python -B -m unittest discover -s . -p 'test_*.py')
echo "==> running the tests (catalog on SQLite)"
rm -f test-artifacts/lighthouse.txt
cargo test --locked --all-targets

echo "==> starting a throwaway PostgreSQL"
eval "$(bash scripts/pg-throwaway.sh)"
trap 'bash scripts/pg-throwaway.sh stop "$AULA_PG_DIR"' EXIT
export AULA_TEST_POSTGRES
echo "==> running the integration tests again (catalog on PostgreSQL)"
cargo test --locked --test integration

# Lighthouse's scores (mobile profile) from the SQLite run: printed, not asserted but for
# accessibility; the speed goals are bench/web's.
if [ -f test-artifacts/lighthouse.txt ]; then
  echo "==> Lighthouse on the public pages (this run, this machine)"
  cat test-artifacts/lighthouse.txt
fi
