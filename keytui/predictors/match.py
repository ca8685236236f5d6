"""The copy expert (PAQ's match model): a player repeating a fragment from a moment ago will go on repeating it.

It keeps the last `window` keys. After each key it finds the longest suffix of the recent keys (up to `max_length`)
that also occurred earlier in the window, takes the most recent such occurrence, and predicts the key that followed
it. How much it trusts that prediction is learned from its own record: hits and tries are counted per match length
(bucketed), so a player whose repeats are exact soon gets near-certain predictions and one whose repeats break off
gets mild ones. The rest of the mass is spread evenly over the other keys seen.
"""

from __future__ import annotations

import numpy as np

from keytui.predictors.base import MemoisedPredictor

LENGTH_BUCKETS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32)  # a match of length L counts in the last bucket <= L


def _bucket(length: int) -> int:
    bucket = 0
    for i, bound in enumerate(LENGTH_BUCKETS):
        if length >= bound:
            bucket = i
    return bucket


class MatchPredictor(MemoisedPredictor):
    name = "copy"

    def __init__(self, *, window: int = 400, max_length: int = 32, min_length: int = 1) -> None:
        super().__init__()
        self.window = window
        self.max_length = max_length
        self.min_length = min_length
        self.history = ""
        # Prior worth two tries: a hit rate of 30% for a one-key match, growing with length (a long repeat is more
        # telling), up to 85%.
        self._tries = np.full(len(LENGTH_BUCKETS), 2.0)
        self._hits = self._tries * np.minimum(0.3 + 0.06 * np.arange(len(LENGTH_BUCKETS)), 0.85)
        self.predicted: str | None = None  # the key the current match says comes next
        self.length = 0  # the current match's length (0: none)

    @property
    def confidence(self) -> float:
        """The probability it gives its predicted key (0 when it has no match)."""
        if self.predicted is None:
            return 0.0
        bucket = _bucket(self.length)
        return float(self._hits[bucket] / self._tries[bucket])

    def _compute(self) -> np.ndarray:
        size = len(self.keys)
        if size == 0:
            return np.zeros(0)
        if self.predicted is None or size == 1:
            return np.full(size, 1.0 / size)
        confidence = self.confidence
        probs = np.full(size, (1.0 - confidence) / (size - 1))
        probs[self._key_index()[self.predicted]] = confidence
        return probs

    def observe(self, key: str) -> None:
        if self.predicted is not None:
            bucket = _bucket(self.length)
            self._tries[bucket] += 1
            self._hits[bucket] += self.predicted == key
        if key not in self._key_index():
            self.keys.append(key)
        self.history = (self.history + key)[-self.window :]
        self._find_match()
        self._probs = None

    def _find_match(self) -> None:
        """The longest recent suffix seen before (most recent occurrence), and the key that followed it."""
        history = self.history
        end = len(history) - 1  # an earlier occurrence must end before the last key, so something follows it
        best_start, best_length = -1, 0
        length = self.min_length
        while length <= min(self.max_length, end):
            start = history.rfind(history[-length:], 0, end)
            if start < 0:
                break
            best_start, best_length = start, length
            length += 1
        if best_length == 0:
            self.predicted, self.length = None, 0
        else:
            self.predicted, self.length = history[best_start + best_length], best_length
