"""Streaming scores for a stream of guesses: hit rate, top-k, F1 from confusion counts, bits per key, calibration.

Macro and weighted F1 follow `sklearn.metrics.f1_score` on the same stream: the labels are every key that was
pressed or guessed; weighted F1 weights each key's F1 by how often it was pressed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

PROBABILITY_FLOOR = 1e-9  # a predictor that gave the pressed key no mass still costs a finite ~30 bits
CALIBRATION_BINS = 10


class CalibrationBins:
    """Expected calibration error of a stream of (confidence shown, hit or not), with equal-width bins:
    sum over bins of (keys in the bin / all keys) * |hit rate in the bin - mean confidence in the bin|."""

    def __init__(self, bins: int = CALIBRATION_BINS) -> None:
        self.bins = bins
        self.counts = [0] * bins
        self.confidence = [0.0] * bins
        self.hits = [0] * bins

    def update(self, confidence: float, hit: bool) -> None:
        b = min(self.bins - 1, max(0, int(confidence * self.bins)))
        self.counts[b] += 1
        self.confidence[b] += confidence
        self.hits[b] += hit

    @property
    def n(self) -> int:
        return sum(self.counts)

    @property
    def error(self) -> float:
        n = self.n
        if not n:
            return 0.0
        return sum(abs(h - c) for h, c in zip(self.hits, self.confidence, strict=True)) / n


def expected_calibration_error(confidences: Sequence[float], hits: Sequence[bool], bins: int = CALIBRATION_BINS):
    """ECE of whole lists (see `CalibrationBins`)."""
    calibration = CalibrationBins(bins)
    for confidence, hit in zip(confidences, hits, strict=True):
        calibration.update(confidence, hit)
    return calibration.error


class StreamingMetrics:
    def __init__(self) -> None:
        self.n = 0
        self.hits = 0
        self.top3_hits = 0
        self.bits = 0.0
        self.true_counts: Counter[str] = Counter()
        self.guess_counts: Counter[str] = Counter()
        self.true_positives: Counter[str] = Counter()
        self.calibration = CalibrationBins()

    def update(self, actual: str, guesses: Sequence[str], p_actual: float, confidence: float | None = None) -> None:
        """Score one key. `guesses` is the predictor's ranking, best first (at least the top guess); `confidence`,
        when given, is the probability shown for the top guess (for the calibration error)."""
        top = guesses[0]
        if confidence is not None:
            self.calibration.update(confidence, top == actual)
        self.n += 1
        self.true_counts[actual] += 1
        self.guess_counts[top] += 1
        if top == actual:
            self.hits += 1
            self.true_positives[actual] += 1
        if actual in guesses[:3]:
            self.top3_hits += 1
        self.bits -= math.log2(max(p_actual, PROBABILITY_FLOOR))

    @property
    def hit_rate(self) -> float:
        return self.hits / self.n if self.n else 0.0

    @property
    def top3_hit_rate(self) -> float:
        return self.top3_hits / self.n if self.n else 0.0

    @property
    def bits_per_char(self) -> float:
        return self.bits / self.n if self.n else 0.0

    def _f1_by_key(self) -> dict[str, float]:
        labels = set(self.true_counts) | set(self.guess_counts)
        scores = {}
        for key in labels:
            denominator = self.true_counts[key] + self.guess_counts[key]
            scores[key] = 2 * self.true_positives[key] / denominator if denominator else 0.0
        return scores

    @property
    def macro_f1(self) -> float:
        scores = self._f1_by_key()
        return sum(scores.values()) / len(scores) if scores else 0.0

    @property
    def weighted_f1(self) -> float:
        if not self.n:
            return 0.0
        scores = self._f1_by_key()
        return sum(scores[k] * c for k, c in self.true_counts.items()) / self.n

    @property
    def majority_rate(self) -> float:
        """How often the most frequent pressed key came up: what always guessing it would score, in hindsight."""
        return max(self.true_counts.values()) / self.n if self.n else 0.0

    @property
    def calibration_error(self) -> float:
        """Expected calibration error of the confidences given to `update` (0 when none were)."""
        return self.calibration.error

    def to_json(self) -> dict:
        return {
            "hit_rate": round(self.hit_rate, 6),
            "top3_hit_rate": round(self.top3_hit_rate, 6),
            "macro_f1": round(self.macro_f1, 6),
            "weighted_f1": round(self.weighted_f1, 6),
            "bits_per_char": round(self.bits_per_char, 6),
        }


def f1_from_ids(y_true: Sequence[int], y_pred: Sequence[int]) -> tuple[float, float]:
    """(macro F1, weighted F1) for two id sequences, without a per-key loop in Python for every element."""
    metrics = StreamingMetrics()
    for t, p in zip(y_true, y_pred, strict=True):
        metrics.true_counts[t] += 1
        metrics.guess_counts[p] += 1
        if t == p:
            metrics.true_positives[t] += 1
    metrics.n = len(y_true)
    return metrics.macro_f1, metrics.weighted_f1


def binomial_upper_tail(hits: int, n: int, p: float) -> float:
    """P(X >= hits) for X ~ Binomial(n, p), exact, in log space so long games don't underflow."""
    if hits <= 0:
        return 1.0
    if p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    terms = [
        math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * log_p + (n - k) * log_q
        for k in range(hits, n + 1)
    ]
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))
