"""The recent-window expert: what followed the last few keys within the last few dozen keys.

People who mash replay little fragments of what they typed a moment ago. The copy expert follows one such fragment,
the most recent occurrence of the longest repeat. This expert counts every occurrence, in a short window only: after
a key that occurred twice in the last 64, it splits its vote between the two keys that followed, which is what a
replay that could start at either looks like. Orders 1 to `max_order` blend PPM-style (Witten-Bell), down to the
window's key counts and, below them, every key seen alike. Nothing is kept beyond the window, so a player's old
habits never outvote the fragment being replayed now; the long memory belongs to the other experts.
"""

from __future__ import annotations

import numpy as np

from keytui.predictors.base import MemoisedPredictor


class RecentPredictor(MemoisedPredictor):
    name = "recent"

    def __init__(self, *, window: int = 64, max_order: int = 4) -> None:
        super().__init__()
        self.window = window
        self.max_order = max_order
        self.history = ""

    def _compute(self) -> np.ndarray:
        size = len(self.keys)
        if size == 0:
            return np.zeros(0)
        index = self._key_index()
        history = self.history
        probs = np.full(size, 1.0 / size)
        window = history[-self.window :]
        probs = self._blend(probs, [index[key] for key in window])
        for order in range(1, min(self.max_order, len(history) - 1) + 1):
            suffix = history[-order:]
            start = max(0, len(history) - self.window - order)
            followers = []
            position = history.find(suffix, start, len(history) - 1)
            while position >= 0:
                followers.append(index[history[position + order]])
                position = history.find(suffix, position + 1, len(history) - 1)
            if not followers:
                break  # a longer suffix cannot have occurred either
            probs = self._blend(probs, followers)
        return probs

    @staticmethod
    def _blend(lower: np.ndarray, followers: list[int]) -> np.ndarray:
        """Witten-Bell: the followers' counts, with the lower order's estimate weighted by how many distinct keys
        followed (a context followed by many different keys trusts its own counts less)."""
        if not followers:
            return lower
        counts = np.bincount(followers, minlength=len(lower))
        distinct = np.count_nonzero(counts)
        return (counts + distinct * lower) / (len(followers) + distinct)

    def observe(self, key: str) -> None:
        if key not in self._key_index():
            self.keys.append(key)
        self.history = (self.history + key)[-(self.window + self.max_order + 1) :]
        self._probs = None
