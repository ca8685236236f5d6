"""A variable-order n-gram (PPM-style blend of orders 0..max_order): from a text, from nothing, or both."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from keytui.predictors.base import Predictor


class NGramPredictor(Predictor):
    """Variable-order Markov model blending orders 0..max_order, PPM-style (Witten-Bell interpolation).

    The estimate for context c of order k is (count(c, x) + t(c) * p_{k-1}(x)) / (n(c) + t(c)), where n(c) is how
    often c was seen and t(c) how many distinct keys followed it; order -1 is uniform over the known keys.
    """

    name = "ngram"

    def __init__(self, text: str = "", *, max_order: int = 5, adaptive: bool = True) -> None:
        super().__init__()
        self.max_order = max_order
        self.adaptive = adaptive
        self.counts: dict[str, dict[str, int]] = defaultdict(dict)
        self.history = ""
        for key in text:
            self._learn(key)
        self.history = ""  # a game starts without context; the training text's tail is not the player's

    def _learn(self, key: str) -> None:
        if key not in self._key_index():
            self.keys.append(key)
        history = self.history
        for order in range(min(self.max_order, len(history)) + 1):
            context = history[len(history) - order :]
            followers = self.counts[context]
            followers[key] = followers.get(key, 0) + 1
        self.history = (history + key)[-self.max_order :]

    def probs(self) -> np.ndarray:
        size = len(self.keys)
        if size == 0:
            return np.zeros(0)
        index = self._key_index()
        probs = np.full(size, 1.0 / size)
        history = self.history
        for order in range(min(self.max_order, len(history)) + 1):
            followers = self.counts.get(history[len(history) - order :])
            if not followers:
                break  # a longer context that was never seen can't have been seen either
            total = sum(followers.values())
            distinct = len(followers)
            blended = probs * distinct
            for key, count in followers.items():
                blended[index[key]] += count
            probs = blended / (total + distinct)
        return probs

    def observe(self, key: str) -> None:
        if self.adaptive:
            self._learn(key)
        else:
            self.history = (self.history + key)[-self.max_order :]
