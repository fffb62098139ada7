"""The bare engine for bench/asr/run.sh: faster-whisper called directly on one audio file,
with the decoding settings aula's engine uses (asr/aula_asr.py: int8, beam 5,
voice-activity filter, word times, temperatures 0 then 0.2 to 1 for a failed window with
the seed taken from the file's name, no conditioning on the previous window). Prints the
text heard.

Usage: python bare.py MODEL AUDIO [PROMPT] [CHUNKS]

Without CHUNKS the file is heard whole, as anyone would call the engine: the prompt then
conditions its first 30 s window only. With CHUNKS (`0-60120,60120-121000,…`, the
milliseconds aula's job logged), each stretch is cut by ffmpeg as aula cuts it and heard on
its own with the prompt and the seed aula gives that chunk (`chunk-{start_ms}.wav`): the
same decoding of the same samples as aula's job, without the job (no silence pass, no
child process speaking JSON, no catalog)."""

import os
import subprocess
import sys
import tempfile
import zlib

os.environ["HF_HUB_OFFLINE"] = "1"
import ctranslate2  # noqa: E402
from faster_whisper import WhisperModel  # noqa: E402

model_dir, audio = sys.argv[1], sys.argv[2]
prompt = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
chunks = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
# Heard whole, the file goes to faster-whisper as it is. Heard in aula's chunks, it goes to
# the model as aula's engine makes it (asr/aula_asr.py: a chunk's tail heard once or not).
if chunks is not None:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "asr"))
    from aula_asr import chunk_aware  # noqa: E402

    WhisperModel = chunk_aware(WhisperModel)
model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=0,
                     local_files_only=True)


def hear(source, seed_name):
    ctranslate2.set_random_seed(zlib.crc32(seed_name.encode()))
    segments, _ = model.transcribe(source, language="it", beam_size=5, word_timestamps=True,
                                   vad_filter=True, initial_prompt=prompt,
                                   temperature=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
                                   condition_on_previous_text=False)
    return [s.text.strip() for s in segments]


if chunks is None:
    texts = hear(audio, os.path.basename(audio))
else:
    texts = []
    with tempfile.TemporaryDirectory() as work:
        for bounds in chunks.split(","):
            start_ms, end_ms = (int(x) for x in bounds.split("-"))
            # Cut as aula's job cuts it (src/jobs/transcribe.rs), so the engine hears the
            # very same samples: Whisper's words change with the slightest difference.
            wav = os.path.join(work, f"chunk-{start_ms}.wav")
            subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-v", "error",
                            "-ss", f"{start_ms / 1000:.3f}",
                            "-t", f"{(end_ms - start_ms) / 1000:.3f}", "-i", audio, "-vn",
                            "-ac", "1", "-ar", "16000", "-y", wav], check=True)
            texts += hear(wav, os.path.basename(wav))
print(" ".join(texts))
