"""The bare engine for bench/asr/run.sh: faster-whisper called directly on one audio file,
whole, with the decoding settings aula's engine uses (asr/aula_asr.py: int8, beam 5,
voice-activity filter, word times, temperature 0, no conditioning on the previous
window). Prints the text heard. Usage: python bare.py MODEL AUDIO [PROMPT]"""

import os
import sys

os.environ["HF_HUB_OFFLINE"] = "1"
from faster_whisper import WhisperModel  # noqa: E402

model_dir, audio = sys.argv[1], sys.argv[2]
prompt = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=0,
                     local_files_only=True)
segments, _ = model.transcribe(audio, language="it", beam_size=5, word_timestamps=True,
                               vad_filter=True, initial_prompt=prompt, temperature=0.0,
                               condition_on_previous_text=False)
print(" ".join(s.text.strip() for s in segments))
