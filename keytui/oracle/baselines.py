"""The plain oracle keytui descends from: Aaronson's f/d game, counts of what followed each context of the last
few presses, this player's presses only. Order 5 is his; other orders are the rivals chosen in hindsight.
"""

from __future__ import annotations

import numpy as np

from keytui.predictors.base import Predictor

TIE_BREAK = 1e-6  # weight of the player's overall key counts: they decide a tie among the context's followers


class OrderOracle(Predictor):
    """Counts, for every context of the last `order` presses, which key followed; guesses the one that followed
    most often. An unseen context, or a tie, goes to the player's most frequent key so far (then the first key).
    Probabilities are Laplace's (count + 1) / (total + k). Order 0 is the majority guess."""

    name = "order-oracle"

    def __init__(self, keys: str, order: int = 5) -> None:
        super().__init__()
        self.keys = list(keys)
        self.order = order
        self._k = len(keys)
        self._index = {key: i for i, key in enumerate(keys)}
        self._modulus = (self._k + 1) ** order  # codes 1..k: a context of fewer presses than `order` is its own
        self._followers: dict[int, list[int]] = {}
        self._totals = [0] * self._k
        self._context = 0

    def probs(self) -> np.ndarray:
        overall = np.array(self._totals, dtype=float) + 1.0
        overall /= overall.sum()
        followers = self._followers.get(self._context)
        if followers is None or self.order == 0:
            return overall
        counts = np.array(followers, dtype=float) + 1.0
        return (1 - TIE_BREAK) * counts / counts.sum() + TIE_BREAK * overall

    def observe(self, key: str) -> None:
        index = self._index.get(key)
        if index is None:
            return
        if self.order:
            followers = self._followers.get(self._context)
            if followers is None:
                followers = self._followers[self._context] = [0] * self._k
            followers[index] += 1
            self._context = (self._context * (self._k + 1) + index + 1) % self._modulus
        self._totals[index] += 1
