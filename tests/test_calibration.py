"""Honest confidence: the calibrator maps the top guess's probability to how often such guesses hit."""

import random

import numpy as np
import pytest

from keytui.data.metrics import StreamingMetrics, expected_calibration_error
from keytui.predictors import Predictor, replay
from keytui.predictors.calibration import CalibratedPredictor


class Overclaiming(Predictor):
    """Always claims 90% for "a", which is pressed 40% of the time."""

    def __init__(self):
        super().__init__()
        self.keys = list("abcd")

    def probs(self):
        return np.array([0.9, 0.05, 0.03, 0.02])

    def observe(self, key):
        pass


def stream(length, seed=0):
    rng = random.Random(seed)
    return "".join("a" if rng.random() < 0.4 else rng.choice("bcd") for _ in range(length))


def test_expected_calibration_error_matches_its_definition():
    confidences = [0.95, 0.9, 0.15, 0.12, 0.55]
    hits = [True, False, False, False, True]
    # bins: [0.9, 1.0): 2 keys, confidence 0.925, hit 0.5; [0.1, 0.2): 2 keys, 0.135 vs 0; [0.5, 0.6): 1, 0.55 vs 1
    expected = (2 * abs(0.5 - 0.925) + 2 * 0.135 + abs(1 - 0.55)) / 5
    assert expected_calibration_error(confidences, hits) == pytest.approx(expected)
    metrics = StreamingMetrics()
    for confidence, hit in zip(confidences, hits, strict=True):
        metrics.update("a", ["a" if hit else "b"], 0.5, confidence)
    assert metrics.calibration_error == pytest.approx(expected)
    assert StreamingMetrics().calibration_error == 0.0


def test_an_overclaiming_predictor_becomes_honest_and_keeps_its_guess():
    text = stream(2000)
    raw = replay(Overclaiming(), text)
    calibrated_predictor = CalibratedPredictor(Overclaiming())
    calibrated = replay(calibrated_predictor, text)
    assert raw.calibration_error > 0.4
    assert calibrated.calibration_error < 0.05
    assert calibrated.hit_rate == raw.hit_rate  # the guess shown never changes
    assert calibrated_predictor.probs()[0] == pytest.approx(0.4, abs=0.06)
    assert calibrated_predictor.probs().sum() == pytest.approx(1.0)
    assert calibrated.bits_per_char < raw.bits_per_char  # honest probabilities cost fewer bits too


def test_a_calibrated_guess_is_never_overtaken():
    class Close(Overclaiming):
        def probs(self):
            return np.array([0.34, 0.33, 0.33, 0.0])

    predictor = CalibratedPredictor(Close())
    for _ in range(300):
        predictor.observe("b")  # "a" never hits: its confidence falls, but never below the runner-up's share
        probs = predictor.probs()
        assert np.argmax(probs) == 0 and probs.sum() == pytest.approx(1.0)


def test_an_empty_predictor_passes_through():
    from keytui.predictors import NGramPredictor

    predictor = CalibratedPredictor(NGramPredictor())
    assert predictor.probs().shape == (0,) and predictor.guess(3) == []
    predictor.observe("x")
    assert predictor.keys == ["x"] and predictor.guess(1) == ["x"]
