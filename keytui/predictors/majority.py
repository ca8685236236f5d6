"""The majority guess: the most frequent key so far."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np

from keytui.predictors.base import Predictor


class MajorityPredictor(Predictor):
    """Always guesses the most frequent key so far; its probabilities are the (smoothed) key frequencies."""

    name = "majority"

    def __init__(self, text: Iterable[str] = "", *, adaptive: bool = True) -> None:
        super().__init__()
        self.adaptive = adaptive
        self.counts: Counter[str] = Counter(text)
        self.keys = sorted(self.counts)

    def probs(self) -> np.ndarray:
        if not self.keys:
            return np.zeros(0)
        counts = np.array([self.counts[k] for k in self.keys], dtype=float) + 0.5
        return counts / counts.sum()

    def observe(self, key: str) -> None:
        if not self.adaptive:
            return
        if key not in self.counts:
            self.keys.append(key)
        self.counts[key] += 1
