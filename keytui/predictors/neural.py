"""The trained network as a predictor, one key at a time, optionally learning from the keys it is shown."""

from __future__ import annotations

import numpy as np

from keytui.predictors.base import Predictor
from keytui.vocab import UNKNOWN


class NeuralPredictor(Predictor):
    """A trained KeyModel, run one key at a time: it keeps the recurrent state and never re-reads a window.

    With `adaptive`, it learns from the keys it is shown in two ways:
    - a neural cache (Grave et al., 2017): it remembers its last `cache_size` top-layer outputs with the key that
      followed each, and mixes into its guess (weight `cache_lambda`) the keys that followed the moments most like
      this one (similarity: `cache_theta` times the dot product). This is how it picks up a player's fresh motifs.
    - dynamic evaluation (Krause et al., 2018): after every `adapt_every` keys it takes one SGD step on that segment,
      starting from the recurrent state the segment started in, and pulls the weights a little back towards the
      trained ones so a long game cannot drift arbitrarily far.
    Training chooses `adapt_lr`, `cache_lambda` and `cache_size` per model on its validation keys
    (keytui/adaptation.py). A `memory` of the keys the model was fitted on, when training chose one, votes in every
    guess, frozen or adaptive (keytui/memory.py).
    """

    name = "model"

    def __init__(
        self,
        model,
        vocab,
        *,
        adaptive: bool = False,
        adapt_every: int = 10,
        adapt_lr: float = 0.01,
        adapt_decay: float = 0.01,
        cache_size: int = 300,
        cache_theta: float = 0.3,
        cache_lambda: float = 0.35,
        memory=None,
    ) -> None:
        import torch

        super().__init__()
        self.torch = torch
        self.model = model.eval()
        self.vocab = vocab
        self.keys = [k for k in vocab.tokens if k != UNKNOWN]
        self.adaptive = adaptive
        self.memory = memory  # a KeyMemory of the fitted keys (keytui/memory.py), mixed in before the cache
        self.adapt_every = adapt_every
        self.adapt_lr = adapt_lr
        self.adapt_decay = adapt_decay
        self.state = None
        self._segment: list[int] = []
        self._segment_state = None
        self._pending: tuple[list[int], object] | None = None  # a full segment waiting for its SGD step
        self.cache_size = cache_size
        self.cache_theta = cache_theta
        self.cache_lambda = cache_lambda
        # A ring buffer: row i holds a past top-layer output, _cache_next[i] the key that followed it.
        self._cache_features = np.zeros((cache_size, model.head.in_features), dtype=np.float32)
        self._cache_next = np.zeros(cache_size, dtype=np.int64)
        self._cache_count = 0
        self._cache_slot = 0
        self._last_feature: np.ndarray | None = None
        self.feature: np.ndarray | None = None
        if adaptive:
            self._trained = [p.detach().clone() for p in model.parameters()]
        self._probs = self._initial_probs()

    def _initial_probs(self) -> np.ndarray:
        # Before any key there is no recurrent output yet: use the output layer's bias (the model's prior).
        return self._to_probs(self.model.head.bias.detach())

    def _to_probs(self, logits) -> np.ndarray:
        probs = self.torch.softmax(logits[1:].float(), dim=-1)  # drop the unknown class: it is never a guess
        return probs.numpy().astype(np.float64)

    def probs(self) -> np.ndarray:
        return self._probs

    def observe(self, key: str) -> None:
        self.settle()
        key_id = self.vocab.id(key)
        state_before = self.state
        logits, feature, self.state = self.model.step_with_features(key_id, state_before)
        self.feature = feature.numpy()  # the top-layer output after this key: what the cache compares
        self._probs = self._to_probs(logits)
        if self.memory is not None:
            self._probs = self.memory.mix(self._probs, key_id, self.feature)
        if self.adaptive and self.cache_lambda > 0:
            self._update_cache(key_id, self.feature)
        if self.adaptive:
            if not self._segment:
                self._segment_state = state_before
            self._segment.append(key_id)
            if len(self._segment) > self.adapt_every:
                # The guess above is already made; the SGD step waits for settle() (or the next key).
                self._pending = (self._segment, self._segment_state)
                # the next segment starts with this key, read from the state it was read in
                self._segment, self._segment_state = [key_id], state_before

    def settle(self) -> None:
        if self._pending is not None:
            segment, state = self._pending
            self._pending = None
            self._adapt(segment, state)

    def _update_cache(self, key_id: int, feature: np.ndarray) -> None:
        """Remember (previous moment, the key that followed it), then mix the cache into the current guess."""
        if self._last_feature is not None and key_id != 0 and self.cache_size > 0:
            self._cache_features[self._cache_slot] = self._last_feature  # the oldest entry makes way
            self._cache_next[self._cache_slot] = key_id - 1  # index into self.keys (the unknown id 0 is not a key)
            self._cache_slot = (self._cache_slot + 1) % self.cache_size
            self._cache_count = min(self._cache_count + 1, self.cache_size)
        self._last_feature = feature
        count = self._cache_count
        if count == 0:
            return
        scores = self.cache_theta * (self._cache_features[:count] @ feature)
        weights = np.exp(scores - scores.max())
        cache = np.bincount(self._cache_next[:count], weights=weights, minlength=len(self.keys))
        self._probs = (1 - self.cache_lambda) * self._probs + self.cache_lambda * cache / weights.sum()

    def _adapt(self, segment: list[int], segment_state) -> None:
        """One SGD step on a segment of keys seen (each key predicting the next), then a pull towards the
        trained weights."""
        torch = self.torch
        ids = torch.tensor([segment], dtype=torch.long)
        # step() runs in inference mode; a clone made outside it is an ordinary tensor autograd accepts
        start = None if segment_state is None else tuple(t.clone() for t in segment_state)
        with torch.enable_grad():
            self.model.zero_grad(set_to_none=True)
            _, loss, _ = self.model(ids[:, :-1], ids[:, 1:], start)
            loss.backward()
        with torch.no_grad():
            for param, trained in zip(self.model.parameters(), self._trained, strict=True):
                if param.grad is not None:
                    param.add_(param.grad, alpha=-self.adapt_lr)
                param.add_(trained - param, alpha=self.adapt_decay)
