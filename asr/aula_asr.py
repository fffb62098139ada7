"""aula's speech-to-text engine: faster-whisper, offline, run by aula as a child process.

aula starts it once per transcribe job and keeps it for the whole job, so the model is
loaded once however many chunks a long session is cut into. The conversation is one JSON
object a line:

  started:   {"ready": true, "engine": "faster-whisper 1.2.1", "model": ..., "device": ...}
             or {"error": "..."} and exit status 2 (no model, no engine, a bad setting)
  aula asks: {"audio": "/path/chunk.wav", "prompt": "words of this session" or null}
  it says:   {"progress": 12.5}                      (seconds of the chunk done, repeated)
             {"segments": [...], "duration": 300.0}   (the answer; times within the chunk)
             or {"error": "..."}                      (this chunk only; it goes on)

A segment is {"start", "end", "text", "avg_logprob", "no_speech_prob", "compression_ratio",
"words"}, a word [text, start, end, probability]. End of input ends the process. `--check`
loads the model, says ready or the error, and exits: `aula doctor` uses it.

Nothing is downloaded: the model is a local directory (local_files_only, HF_HUB_OFFLINE),
and the voice-activity filter is the Silero model inside the faster-whisper package.
"""

import argparse
import json
import os
import sys
import zlib

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def say(obj):
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def options():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="a faster-whisper model directory")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    p.add_argument("--compute-type", default="int8", help="int8, int8_float16, float16, ...")
    p.add_argument("--threads", type=int, default=0, help="CPU threads; 0: all")
    p.add_argument("--beam", type=int, default=5, help="beam size")
    p.add_argument("--language", default="it")
    p.add_argument("--check", action="store_true", help="load the model and exit")
    return p.parse_args()


def load(args):
    if not os.path.isfile(os.path.join(args.model, "model.bin")):
        raise RuntimeError(
            f"no faster-whisper model in {args.model} (model.bin is missing): "
            "run scripts/install-deps.sh, or set AULA_ASR_MODEL to a model directory"
        )
    from faster_whisper import WhisperModel, __version__

    model = chunk_aware(WhisperModel)(
        args.model,
        device=args.device,
        compute_type=args.compute_type,
        cpu_threads=args.threads,
        local_files_only=True,
    )
    return model, f"faster-whisper {__version__}"


# Whisper's own defence against a failed window (text repeating itself, a compression ratio
# over 2.4, or words it barely believes): decode that window again, sampling at rising
# temperatures. Seen here without it: one 60 s chunk came out as 220 times "si".
FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


# A window that starts after the first of a chunk and holds less than this is the chunk's
# tail: what Whisper left after the last word it placed (it moves on from that word's end),
# in a chunk aula cut in a silence. Measured on bench/asr's 598 s session in 60 s chunks:
# of 32 windows, 9 were such tails, and two of them cost 12.4 s of the job's 73.6 s — a
# 0.4 s tail of silence decoded as "non si si si …" and then again at four temperatures,
# and a 0.9 s tail holding the end of a word decoded six times into "di restriventi".
# Tails under TAIL_SKIP_S are the voice-activity filter's padding (0.4 s) and the end of the
# word already written: not heard. Tails under TAIL_ONCE_S are heard once, greedily, and
# briefly: a word there is kept, a loop costs one short decode, not six long ones.
TAIL_SKIP_S = 1.0
TAIL_ONCE_S = 3.0
TAIL_TOKENS = 30


def chunk_aware(WhisperModel):
    """faster-whisper's model, with the tails of a chunk handled as above."""
    import dataclasses

    import numpy as np

    class NotHeard:
        """A window's result that faster-whisper skips as silence."""

        sequences_ids = [[]]
        scores = [float("-inf")]
        no_speech_prob = 1.0

    class Model(WhisperModel):
        _windows, _tail, _detecting = 0, None, False

        def transcribe(self, audio, **kwargs):
            self._windows, self._tail = 0, None
            return super().transcribe(audio, **kwargs)

        def detect_language(self, *args, **kwargs):
            # Its windows (when no language is given) are not the chunk's.
            self._detecting = True
            try:
                return super().detect_language(*args, **kwargs)
            finally:
                self._detecting = False

        def encode(self, features):
            if self._detecting:
                return super().encode(features)
            # faster-whisper pads a window's features with zeros to 30 s: the columns
            # before the padding are the audio the window holds.
            held = np.flatnonzero(np.abs(features).reshape(-1, features.shape[-1]).sum(axis=0))
            seconds = (held[-1] + 1 if len(held) else 0) * self.feature_extractor.time_per_frame
            self._windows += 1
            self._tail = seconds if self._windows > 1 and seconds < TAIL_ONCE_S else None
            if self._not_heard():
                return None
            return super().encode(features)

        def _not_heard(self):
            return self._tail is not None and self._tail < TAIL_SKIP_S

        def generate_with_fallback(self, encoder_output, prompt, tokenizer, options):
            if self._not_heard():
                return NotHeard(), float("-inf"), 0.0, 0.0
            if self._tail is not None:
                options = dataclasses.replace(
                    options,
                    temperatures=list(options.temperatures[:1]),
                    max_new_tokens=min(options.max_new_tokens or TAIL_TOKENS, TAIL_TOKENS),
                )
            return super().generate_with_fallback(encoder_output, prompt, tokenizer, options)

    return Model


def seed_of(audio):
    """A seed from the chunk's file name, so that sampling (used only when greedy decoding
    failed) gives the same words for the same chunk every time, in whatever order chunks
    come: a job resumed after a crash agrees with one that was not interrupted."""
    return zlib.crc32(os.path.basename(audio).encode())


def transcribe(model, args, request):
    audio = request["audio"]
    prompt = request.get("prompt") or None
    import ctranslate2  # loaded with the model already

    ctranslate2.set_random_seed(seed_of(audio))
    segments, info = model.transcribe(
        audio,
        language=args.language,
        beam_size=args.beam,
        word_timestamps=True,
        vad_filter=True,
        initial_prompt=prompt,
        # Live captions ask for no fallback: a caption late by the five decodes a failed
        # window can cost (seen: 15 s for a 5 s chunk) is worse than one left out, and a
        # short chunk's failed window is dropped by aula anyway.
        temperature=FALLBACK_TEMPERATURES if request.get("fallback", True) else (0.0,),
        # Each window is not fed the text before it: with it, Whisper was seen repeating an
        # earlier sentence over the last one of a session (a known loop of the model).
        condition_on_previous_text=False,
        # Live captions bound each window's tokens too: a window caught in a loop (seen:
        # "non non non …" for 9.6 s over a 5 s chunk) stops early, and aula drops it.
        **({"max_new_tokens": int(request["max_tokens"])} if request.get("max_tokens") else {}),
    )
    out = []
    for s in segments:
        out.append(
            {
                "start": round(s.start, 3),
                "end": round(s.end, 3),
                "text": s.text.strip(),
                "avg_logprob": round(s.avg_logprob, 4),
                "no_speech_prob": round(s.no_speech_prob, 4),
                "compression_ratio": round(s.compression_ratio, 3),
                "words": [
                    [w.word, round(w.start, 3), round(w.end, 3), round(w.probability, 4)]
                    for w in (s.words or [])
                ],
            }
        )
        say({"progress": round(s.end, 3)})
    return {"segments": out, "duration": round(info.duration, 3)}


def main():
    args = options()
    try:
        model, engine = load(args)
    except Exception as e:  # the model, the engine or a setting: say which, and stop
        say({"error": f"cannot load the speech model: {e}"})
        return 2
    say({"ready": True, "engine": engine, "model": os.path.abspath(args.model), "device": args.device})
    if args.check:
        return 0
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            say(transcribe(model, args, json.loads(line)))
        except Exception as e:  # one bad chunk (unreadable audio) does not end the job
            say({"error": f"{type(e).__name__}: {e}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
