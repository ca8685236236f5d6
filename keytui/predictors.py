"""Predictors: something that watches keys go by and, before each one, says how likely every key is next.

One interface for all of them: `observe(key)` after a key lands, `probs()` / `distribution()` / `guess(k)` before
the next one. Adaptive predictors keep learning from the keys they are shown, as they would in a live game.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

import numpy as np

from keytui.metrics import StreamingMetrics
from keytui.vocab import UNKNOWN


class Predictor:
    """Base class: subclasses keep `self.keys` (the keys they can name) and implement `probs` and `observe`."""

    name = "predictor"

    def __init__(self) -> None:
        self.keys: list[str] = []

    def probs(self) -> np.ndarray:
        """Probability of each of `self.keys` being the next key (sums to 1)."""
        raise NotImplementedError

    def observe(self, key: str) -> None:
        raise NotImplementedError

    def settle(self) -> None:
        """Do learning deferred by `observe`, so that it need not delay the next guess. Optional: whatever is
        still pending runs at the start of the next `observe`."""

    def distribution(self) -> dict[str, float]:
        return dict(zip(self.keys, self.probs().tolist(), strict=True))

    def guess(self, k: int = 1) -> list[str]:
        probs = self.probs()
        k = min(k, len(probs))
        if k == 0:
            return []
        top = np.argpartition(-probs, k - 1)[:k] if k < len(probs) else np.arange(len(probs))
        top = top[np.argsort(-probs[top], kind="stable")]
        return [self.keys[i] for i in top]

    def ranked(self, k: int = 3) -> tuple[list[str], np.ndarray]:
        """Top-k keys and the full probability vector, computed once (the game needs both per key)."""
        probs = self.probs()
        k = min(k, len(probs))
        top = np.argsort(-probs, kind="stable")[:k]
        return [self.keys[i] for i in top], probs

    def prob_of(self, key: str, probs: np.ndarray) -> float:
        index = self._key_index().get(key)
        return float(probs[index]) if index is not None else 0.0

    def _key_index(self) -> dict[str, int]:
        cache = getattr(self, "_index_cache", None)
        if cache is None or len(cache) != len(self.keys):
            cache = {key: i for i, key in enumerate(self.keys)}
            self._index_cache = cache
        return cache


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


def replay(
    predictor: Predictor,
    text: str,
    *,
    warmup: str = "",
    metrics: StreamingMetrics | None = None,
    hits: list[bool] | None = None,
):
    """Play `text` against `predictor`: it guesses each key before seeing it. `warmup` is observed unscored.
    `hits`, if given, receives whether each guess was right (for paired comparisons of two predictors)."""
    metrics = metrics or StreamingMetrics()
    for key in warmup:
        predictor.observe(key)
    for key in text:
        guesses, probs = predictor.ranked(3)
        if guesses:
            metrics.update(key, guesses, predictor.prob_of(key, probs))
        else:
            metrics.update(key, ["\x00"], 0.0)
        if hits is not None:
            hits.append(bool(guesses) and guesses[0] == key)
        predictor.observe(key)
    return metrics
