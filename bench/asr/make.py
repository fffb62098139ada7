"""Makes the benchmark's speech from bench/asr/said.txt with Festival (text2wave, voice
pc_diphone, text in ISO 8859-1): each sentence once, then a session of SECONDS seconds of
them in order (repeated as needed) with a second of silence between sentences. Writes
OUT.wav and OUT.txt (exactly what is said in it). Usage: python3 make.py SAID OUT SECONDS"""

import os
import subprocess
import sys
import wave

said, out, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
cache = out + ".sentences"
os.makedirs(cache, exist_ok=True)
sentences = [l.strip() for l in open(said, encoding="utf-8") if l.strip()]
voices = []
for i, sentence in enumerate(sentences):
    wav = os.path.join(cache, f"{i}.wav")
    if not os.path.exists(wav):
        text = os.path.join(cache, f"{i}.txt")
        open(text, "wb").write(sentence.encode("latin-1"))
        subprocess.run(["text2wave", "-eval", "(voice_pc_diphone)", "-o", wav, text], check=True,
                       stderr=subprocess.DEVNULL)
    with wave.open(wav) as w:
        voices.append((w.getparams(), w.readframes(w.getnframes())))
params = voices[0][0]
rate = params.framerate
pause = b"\0" * (params.sampwidth * rate)
frames, spoken, i = [], [], 0
length = 0.0
while True:
    p, data = voices[i % len(voices)]
    took = len(data) / (p.sampwidth * rate)
    if length + took > seconds and spoken:
        break
    frames += [data, pause]
    spoken.append(sentences[i % len(sentences)])
    length += took + 1.0
    i += 1
with wave.open(out + ".wav", "wb") as w:
    w.setparams(params)
    w.writeframes(b"".join(frames))
open(out + ".txt", "w", encoding="utf-8").write(" ".join(spoken) + "\n")
print(f"{out}.wav: {length:.0f} s, {len(spoken)} sentences")
