"""The memory of the fitted keys as an expert (a kNN language model; the memory itself is keytui/model/memory.py).

Before a guess, the fitted moments nearest this one (same key just read, closest top-layer output) vote for the keys
that followed them. As with the cache, the expert's distribution is the network's guess with that vote mixed in half
and half, and the mixer learns how far to trust it for this player; nothing is chosen on validation keys.
"""

from __future__ import annotations

import numpy as np

from keytui.model.memory import KeyMemory
from keytui.predictors.base import Predictor
from keytui.predictors.neural import NeuralPredictor


class MemoryPredictor(Predictor):
    name = "memory"

    def __init__(self, network: NeuralPredictor, memory: KeyMemory, *, share: float = 0.5) -> None:
        """`network` must observe each key before this expert does (the mixer calls experts in order)."""
        super().__init__()
        self.network = network
        self.memory = memory
        self.keys = network.keys
        self.share = share
        self._key_id: int | None = None
        self._probs: np.ndarray | None = None

    def probs(self) -> np.ndarray:
        if self._probs is None:
            own = self.network.probs()
            feature = self.network.feature
            vote = None if self._key_id is None or feature is None else self.memory.vote(self._key_id, feature)
            self._probs = own if vote is None else (1 - self.share) * own + self.share * vote
        return self._probs

    def observe(self, key: str) -> None:
        self._key_id = self.network.vocab.id(key)
        self._probs = None
