"""The neural cache as an expert (Grave et al., 2017): the keys that followed the moments of this game most like now.

It remembers the network's last `size` top-layer outputs, each with the key that followed it. Before a guess it
weighs every remembered moment by exp(theta * dot(then, now)) and votes for the keys that followed them. This is how
the network picks up a player's fresh motifs without retraining. Its distribution is the network's own guess with
that vote mixed in (half and half): a vote on its own gives no mass at all to keys no similar moment saw, which the
log-domain mixer would read as a veto. How much the vote counts is then the mixer's business, learned per player.
"""

from __future__ import annotations

import numpy as np

from keytui.predictors.base import Predictor
from keytui.predictors.neural import NeuralPredictor


class NeuralCachePredictor(Predictor):
    name = "cache"

    def __init__(self, network: NeuralPredictor, *, size: int = 500, theta: float = 0.3, share: float = 0.5) -> None:
        """`network` must observe each key before this expert does (the mixer calls experts in order)."""
        super().__init__()
        self.network = network
        self.keys = network.keys
        self.size = size
        self.theta = theta
        self.share = share
        self._features = np.zeros((size, network.feature_size), dtype=np.float32)
        self._next = np.zeros(size, dtype=np.int64)
        self._count = 0
        self._slot = 0
        self._last_feature: np.ndarray | None = None
        self._probs: np.ndarray | None = None

    def vote(self) -> np.ndarray | None:
        """The cache's own distribution, or None while it remembers nothing."""
        feature = self.network.feature
        if self._count == 0 or feature is None:
            return None
        scores = self.theta * (self._features[: self._count] @ feature)
        weights = np.exp(scores - scores.max())
        return np.bincount(self._next[: self._count], weights=weights, minlength=len(self.keys)) / weights.sum()

    def probs(self) -> np.ndarray:
        if self._probs is None:
            own = self.network.probs()
            vote = self.vote()
            self._probs = own if vote is None else (1 - self.share) * own + self.share * vote
        return self._probs

    def observe(self, key: str) -> None:
        index = self._key_index().get(key)
        if self._last_feature is not None and index is not None and self.size > 0:
            self._features[self._slot] = self._last_feature  # the oldest entry makes way
            self._next[self._slot] = index
            self._slot = (self._slot + 1) % self.size
            self._count = min(self._count + 1, self.size)
        self._last_feature = self.network.feature
        self._probs = None
