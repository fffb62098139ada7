#!/usr/bin/env bash
# Speech-to-text benchmark (release build; the speech is made here by Festival from
# bench/asr/said.txt, so what was said is known): aula's whole transcribe job (`aula
# transcribe`: silences, chunks, the engine as a child, captions stored) against the bare
# engine (faster-whisper called directly by bench/asr/bare.py on the same published audio,
# same model and settings), on a LONG-second session and on a 30 s passage. For each: wall
# time, real-time factor, peak RSS (the largest process: the engine) and word error rate;
# aula with the agenda's words in its prompt and with only the session's title, the bare
# engine with aula's prompt and with none.
# The bare engine runs three ways: the whole file with aula's prompt (which then conditions
# the first 30 s window only), with none, and aula's own chunks each with the prompt (the
# same decoding as the job, so the difference is the job's own cost).
# Goals: aula's job at most 1.10x the bare engine's wall time; its word error rate no worse
# than the bare engine's, and better with the prompt; peak RSS the same for 30 s and LONG s.
# Usage: bench/asr/run.sh [LONG_SECONDS]   (default 600)
set -euo pipefail
cd "$(dirname "$0")/../.."
LONG=${1:-600}
cargo build --release --locked --bin aula --example asr_wer 2>&1 | tail -1
bash scripts/install-asr.sh
AULA=$PWD/target/release/aula
WER=$PWD/target/release/examples/asr_wer
PY=$PWD/.venv-asr/bin/python
MODEL=$PWD/.venv-asr/models/whisper-base
WORK=$(mktemp -d /tmp/aula-asr-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export AULA_LOG=warn AULA_TRANSCRIBE=manual AULA_PROFILES_DIR=$PWD/transcode-profiles \
    AULA_WEB_DIR=$PWD/web AULA_ASR_PYTHON=$PY AULA_ASR_ENGINE=$PWD/asr/aula_asr.py \
    AULA_ASR_MODEL=$MODEL

# The agenda of the session: its names and terms are what the prompt gives the engine.
cat > "$WORK/odg.txt" <<'AGENDA'
ORDINE DEL GIORNO
1. Variante al piano regolatore generale per l'area ex Fornace
2. Rifacimento della rete fognaria del quartiere nord
3. Bilancio di previsione ed emendamento del gruppo di minoranza
4. Interrogazioni dei consiglieri Bertolazzi, Zanardelli e Moretti all'assessore Quaglieri
AGENDA

heard_by_aula() { # data_dir → the transcript's text, in time order
    python3 - "$1/aula.db" <<'PY'
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(
    "SELECT text FROM transcript_cues ORDER BY start_ms").fetchall()
print(" ".join(r[0].replace("\n", " ") for r in rows))
PY
}

logged() { # field aula's_JSON_log → that field of the job's "transcribing" line
    python3 -c 'import json,sys
for l in open(sys.argv[2]):
    try: d = json.loads(l)
    except ValueError: continue
    p = d.get("fields", {}).get(sys.argv[1])
    if p is not None: print(p); break' "$1" "$2"
}

measure() { # label seconds_of_audio said.txt heard.txt time_file → one table row
    local wall rss wer
    read -r wall rss < "$5"
    wer=$("$WER" "$3" "$4")
    printf '| %s | %.0f | %.1f | %.3f | %.0f | %.3f |\n' "$1" "$2" "$wall" \
        "$(python3 -c "print($wall / $2)")" "$((rss / 1024))" "$wer"
    echo "$wall $rss $wer" > "$WORK/last"
}

echo "| run | audio s | wall s | real-time factor | peak RSS MB | word error rate |"
echo "|---|---:|---:|---:|---:|---:|"
for len in 30 "$LONG"; do
    python3 bench/asr/make.py bench/asr/said.txt "$WORK/s$len" "$len" >&2
    ffmpeg -hide_banner -v error -y -f lavfi -i "testsrc2=size=320x240:rate=25" \
        -i "$WORK/s$len.wav" -shortest -c:v mpeg2video -b:v 300k -c:a mp2 -b:a 128k -ar 48000 \
        -f vob "$WORK/s$len.mpg"
    audio_s=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/s$len.wav")
    for prompt in agenda title; do
        data=$WORK/d$len-$prompt
        extra=()
        [ "$prompt" = agenda ] && extra=(--agenda "$WORK/odg.txt")
        "$AULA" --data-dir "$data" ingest "$WORK/s$len.mpg" --body "Consiglio comunale" \
            --date 2011-05-19 --title "Seduta del consiglio comunale" "${extra[@]}" \
            >/dev/null 2>&1
        AULA_LOG=warn,aula::jobs::transcribe=info AULA_LOG_FORMAT=json \
            /usr/bin/time -f "%e %M" -o "$WORK/time" \
            "$AULA" --data-dir "$data" transcribe 1 2>"$WORK/log-$len-$prompt" >/dev/null
        heard_by_aula "$data" > "$WORK/heard"
        measure "aula job, prompt: $prompt" "$audio_s" "$WORK/s$len.txt" "$WORK/heard" "$WORK/time"
        cp "$WORK/last" "$WORK/aula-$len-$prompt"
    done
    # The bare engine on the very file aula's job heard.
    audio=$WORK/d$len-agenda/media/1/1/audio.m4a
    aula_prompt=$(logged prompt "$WORK/log-$len-agenda")
    aula_chunks=$(logged bounds "$WORK/log-$len-agenda")
    for prompt in aula none chunks; do
        p="" c=""
        [ "$prompt" != none ] && p=$aula_prompt
        [ "$prompt" = chunks ] && c=$aula_chunks
        /usr/bin/time -f "%e %M" -o "$WORK/time" "$PY" bench/asr/bare.py "$MODEL" "$audio" \
            "$p" "$c" > "$WORK/heard" 2>/dev/null
        label="bare engine, prompt: $prompt"
        [ "$prompt" = chunks ] && label="bare engine, aula's chunks and prompt"
        measure "$label" "$audio_s" "$WORK/s$len.txt" "$WORK/heard" "$WORK/time"
        cp "$WORK/last" "$WORK/bare-$len-$prompt"
    done
done
echo
read -r aw arss awer < "$WORK/aula-$LONG-agenda"
read -r bw brss bwer < "$WORK/bare-$LONG-aula"
read -r cw crss cwer < "$WORK/bare-$LONG-chunks"
read -r _ _ awer_title < "$WORK/aula-$LONG-title"
read -r _ _ bwer_none < "$WORK/bare-$LONG-none"
read -r _ arss30 _ < "$WORK/aula-30-agenda"
python3 - "$aw" "$bw" "$awer" "$bwer" "$awer_title" "$bwer_none" "$arss" "$arss30" "$cw" "$cwer" "$LONG" <<'PY'
import sys
aw, bw, awer, bwer, awer_t, bwer_n, arss, arss30, cw, cwer = map(float, sys.argv[1:11])
long = sys.argv[11]
print(f"{long} s: aula's job / bare engine on aula's chunks with its prompt (the same "
      f"decoding), wall time: {aw / cw:.3f} (goal <= 1.10); word error rate {awer:.3f} vs {cwer:.3f}")
print(f"{long} s: aula's job / bare engine on the whole file with aula's prompt (the prompt "
      f"conditions its first window only), wall time: {aw / bw:.3f}")
print(f"{long} s: word error rate aula {awer:.3f} vs bare {bwer:.3f} (same prompt); "
      f"aula with the agenda's words {awer:.3f} vs the title only {awer_t:.3f}; "
      f"bare with aula's prompt {bwer:.3f} vs none {bwer_n:.3f}")
print(f"aula's peak RSS: {arss30 / 1024:.0f} MB for 30 s, {arss / 1024:.0f} MB for {long} s "
      f"(ratio {arss / arss30:.2f}, goal: flat)")
PY
