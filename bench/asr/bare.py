"""The bare engine for bench/asr/run.sh: faster-whisper called directly on one audio file,
whole, with the decoding settings aula's engine uses (asr/aula_asr.py: int8, beam 5,
voice-activity filter, word times, temperatures 0 then 0.2 to 1 for a failed window with
the seed taken from the file's name, no conditioning on the previous window). Prints the text heard. Usage: python bare.py MODEL AUDIO [PROMPT]"""

import os
import sys
import zlib

os.environ["HF_HUB_OFFLINE"] = "1"
import ctranslate2  # noqa: E402
from faster_whisper import WhisperModel  # noqa: E402

model_dir, audio = sys.argv[1], sys.argv[2]
prompt = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
ctranslate2.set_random_seed(zlib.crc32(os.path.basename(audio).encode()))
model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=0,
                     local_files_only=True)
segments, _ = model.transcribe(audio, language="it", beam_size=5, word_timestamps=True,
                               vad_filter=True, initial_prompt=prompt,
                               temperature=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
                               condition_on_previous_text=False)
print(" ".join(s.text.strip() for s in segments))
