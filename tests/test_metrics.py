import random

import pytest
from scipy.stats import binom
from sklearn.metrics import f1_score

from keytui.data.metrics import StreamingMetrics, binomial_upper_tail, f1_from_ids


def test_streaming_f1_equals_sklearn_on_the_same_stream():
    rng = random.Random(1)
    keys = "abcdefg"
    actual = [rng.choice(keys[:5]) for _ in range(500)]
    guessed = [a if rng.random() < 0.3 else rng.choice(keys) for a in actual]
    metrics = StreamingMetrics()
    for a, g in zip(actual, guessed, strict=True):
        metrics.update(a, [g, "x", "y"], 0.5)
    assert metrics.macro_f1 == pytest.approx(f1_score(actual, guessed, average="macro"))
    assert metrics.weighted_f1 == pytest.approx(f1_score(actual, guessed, average="weighted"))
    assert metrics.hit_rate == pytest.approx(sum(a == g for a, g in zip(actual, guessed, strict=True)) / 500)
    macro, weighted = f1_from_ids([ord(a) for a in actual], [ord(g) for g in guessed])
    assert (macro, weighted) == pytest.approx((metrics.macro_f1, metrics.weighted_f1))


def test_top3_and_bits():
    metrics = StreamingMetrics()
    metrics.update("a", ["b", "c", "a"], 0.25)
    metrics.update("a", ["a"], 0.5)
    assert metrics.hit_rate == 0.5
    assert metrics.top3_hit_rate == 1.0
    assert metrics.bits_per_char == pytest.approx((2 + 1) / 2)
    metrics.update("z", ["a"], 0.0)  # a predictor that gave the key no mass costs finite bits
    assert metrics.bits_per_char < 100


@pytest.mark.parametrize(("hits", "n", "p"), [(0, 10, 0.1), (5, 10, 0.1), (30, 100, 0.2), (400, 2000, 0.15)])
def test_binomial_tail_matches_scipy(hits, n, p):
    assert binomial_upper_tail(hits, n, p) == pytest.approx(binom.sf(hits - 1, n, p), rel=1e-6, abs=1e-300)
