"""Unit tests of the engine's own decoding rule: a chunk's tail is heard once or not at all
(aula_asr.chunk_aware). faster-whisper is stood in for by a model that records what it was
asked; no model is loaded. Run by scripts/test.sh with the engine's virtual environment:
python -m unittest discover -s asr"""

import dataclasses
import unittest

import numpy as np

from aula_asr import TAIL_ONCE_S, TAIL_SKIP_S, TAIL_TOKENS, chunk_aware

FRAMES_PER_SECOND = 100  # faster-whisper's mel frames: 10 ms each
WINDOW = 3000  # 30 s, the encoder's input


@dataclasses.dataclass
class Options:
    temperatures: list
    max_new_tokens: object = None


class FeatureExtractor:
    time_per_frame = 1 / FRAMES_PER_SECOND


class Recording:
    """Stands in for faster-whisper's WhisperModel: decoding is "windows" fed in turn."""

    def __init__(self):
        self.feature_extractor = FeatureExtractor()
        self.encoded = []
        self.decoded = []

    def transcribe(self, windows, detect=False, **kwargs):
        if detect:
            self.detect_language()
        heard = []
        for seconds in windows:
            features = np.zeros((80, WINDOW), dtype=np.float32)
            # Real log-mel columns are never all zero; the padding after them is.
            features[:, : int(seconds * FRAMES_PER_SECOND)] = -0.5
            out = self.encode(features)
            heard.append(self.generate_with_fallback(out, [1, 2, 3], None, Options([0.0, 0.2, 0.4])))
        return heard

    def detect_language(self):
        self.encode(np.full((80, WINDOW), -0.5, dtype=np.float32))
        return "it", 1.0, None

    def encode(self, features):
        self.encoded.append(features)
        return "encoded"

    def generate_with_fallback(self, encoder_output, prompt, tokenizer, options):
        self.decoded.append(options)
        return "decoded", -0.2, options.temperatures[0], 1.5


class TailRule(unittest.TestCase):
    def model(self):
        return chunk_aware(Recording)()

    def test_full_windows_are_decoded_as_faster_whisper_would(self):
        m = self.model()
        m.transcribe([30.0, 28.5, 12.0])
        self.assertEqual(len(m.encoded), 3)
        self.assertEqual([o.temperatures for o in m.decoded], [[0.0, 0.2, 0.4]] * 3)
        self.assertEqual([o.max_new_tokens for o in m.decoded], [None] * 3)

    def test_a_short_first_window_is_the_whole_chunk_and_is_heard_in_full(self):
        m = self.model()
        m.transcribe([0.6])
        self.assertEqual(len(m.encoded), 1)
        self.assertEqual(m.decoded[0].temperatures, [0.0, 0.2, 0.4])

    def test_a_tail_under_a_second_is_neither_encoded_nor_decoded(self):
        m = self.model()
        heard = m.transcribe([29.0, TAIL_SKIP_S - 0.01])
        self.assertEqual(len(m.encoded), 1)
        self.assertEqual(len(m.decoded), 1)
        result, avg_logprob, _, _ = heard[1]
        # What faster-whisper skips as silence: no speech, and no probability to keep it.
        self.assertEqual(result.no_speech_prob, 1.0)
        self.assertEqual(result.sequences_ids, [[]])
        self.assertEqual(avg_logprob, float("-inf"))

    def test_a_short_tail_is_heard_once_and_briefly(self):
        m = self.model()
        m.transcribe([29.0, TAIL_SKIP_S + 0.5])
        self.assertEqual(len(m.encoded), 2)
        self.assertEqual(m.decoded[1].temperatures, [0.0])
        self.assertEqual(m.decoded[1].max_new_tokens, TAIL_TOKENS)

    def test_a_window_of_three_seconds_or_more_is_not_a_tail(self):
        m = self.model()
        m.transcribe([29.0, TAIL_ONCE_S])
        self.assertEqual(m.decoded[1].temperatures, [0.0, 0.2, 0.4])
        self.assertIsNone(m.decoded[1].max_new_tokens)

    def test_each_transcription_starts_counting_windows_again(self):
        m = self.model()
        m.transcribe([29.0, 0.5])
        m.transcribe([0.5])
        self.assertEqual(len(m.encoded), 2)
        self.assertEqual(m.decoded[-1].temperatures, [0.0, 0.2, 0.4])

    def test_detecting_the_language_is_not_the_chunks_first_window(self):
        m = self.model()
        m.transcribe([2.0], detect=True)
        self.assertEqual(len(m.encoded), 2)
        self.assertEqual(m.decoded[0].temperatures, [0.0, 0.2, 0.4])


if __name__ == "__main__":
    unittest.main()
