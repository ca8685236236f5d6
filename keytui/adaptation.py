"""How fast a model learns from the player: chosen per model, on its validation keys, when training ends.

Random mashing and written text want different settings: on mashing the neural cache (fresh motifs) is worth a lot
and the model's own guesses little; on text the model is sharp and a heavy cache only blurs it. So instead of one
setting for every corpus, training replays (part of) the validation keys as a game with the weights that early
stopping chose (they never trained on those keys), and keeps the settings with the best hit rate. The choice is
saved in the checkpoint and used whenever the model plays adaptively.

The cache only mixes into the guess; it never changes what the model learns. So one replay per learning rate
records the model's own guesses and its outputs, and every cache setting is then scored on that record at once
(`Trace`), instead of replaying the keys once per candidate.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import numpy as np

from keytui.memory import MemorySettings, build_memory, mixed_hit_rate
from keytui.predictors import NeuralPredictor

# From sweeps on a synthetic masher and on a licence text: dynamic evaluation at 0.1 cost text 7 points, 0.01-0.03
# was best on both; the cache's weight and reach are what differ between corpora (a mashing motif goes stale in a
# few hundred keys, a phrase of text recurs thousands later). The cache's sharpness moved hit rates by less than
# 2,000 validation keys can tell apart, so it is not a candidate: every extra candidate is one more chance to pick
# noise.
LEARNING_RATES = (0.01, 0.03)
CACHE_SIZES = (300, 2000)
CACHE_WEIGHTS = (0.0, 0.1, 0.2, 0.35)
MAX_CACHE_SIZE = 100_000  # a saved size beyond this is not one keytui chose
MAX_KEYS = 2000  # enough to tell the candidates apart, few enough to cost seconds
WARMUP_KEYS = 256
QUERY_BLOCK = 256  # keys scored at a time: bounds the memory for their similarity scores


@dataclass(frozen=True)
class Adaptation:
    adapt_lr: float = 0.01
    cache_lambda: float = 0.35
    cache_size: int = 300
    hit_rate: float | None = None  # on the validation keys it was chosen on

    def describe(self) -> str:
        rate = f" (validation hit {self.hit_rate:.1%})" if self.hit_rate is not None else ""
        return (
            f"adaptive play: learning rate {self.adapt_lr:g}, cache weight {self.cache_lambda:g}, "
            f"cache size {self.cache_size}{rate}"
        )

    def predictor_settings(self) -> dict:
        return {
            "adapt_lr": self.adapt_lr,
            "cache_lambda": self.cache_lambda,
            "cache_size": self.cache_size,
        }

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Adaptation:
        """Settings saved in a checkpoint; anything missing or out of range falls back to the defaults (a checkpoint
        from before the cache size was chosen keeps its learning rate and weight, with the size it was chosen at)."""
        default = cls()
        if not isinstance(data, dict):
            return default
        lr, cache = data.get("adapt_lr"), data.get("cache_lambda")
        size = data.get("cache_size", default.cache_size)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lr, cache)):
            return default
        if not (0 <= lr <= 1 and 0 <= cache < 1):
            return default
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_CACHE_SIZE:
            return default
        return cls(float(lr), float(cache), size)


class Trace:
    """One adaptive replay without the cache: before each key, the model's own probabilities and the top-layer
    output the cache would compare; enough to score any cache setting as `NeuralPredictor` would mix it."""

    def __init__(self, predictor: NeuralPredictor, warmup: str, keys: str) -> None:
        if predictor.cache_lambda != 0:
            raise ValueError("trace a predictor whose cache is off: the record must hold the model's own guesses")
        sequence = warmup + keys
        index = predictor._key_index()
        self.targets = np.array([index.get(key, -1) for key in sequence])  # -1: a key the model can't name
        self.scored = np.arange(len(warmup), len(sequence))
        guesses, outputs = [], []
        for key in sequence:
            guesses.append(predictor.probs())
            predictor.observe(key)
            outputs.append(predictor.feature)
        self.guesses = np.stack(guesses)  # row j: the guess for key j
        self.outputs = np.stack(outputs).astype(np.float64)  # row j: the output after reading key j
        self._scored_guesses, self._scored_targets = self.guesses[self.scored], self.targets[self.scored]

    def cache_guesses(self, theta: float, cache_size: int) -> tuple[np.ndarray, np.ndarray]:
        """The cache's distribution for each scored key, and which scored keys have a cache at all."""
        # Entry m pairs the output after key m-1 with key m; the guess for key j may use entries m < j, the last
        # `cache_size` of those kept (unknown keys are never kept).
        kept = np.flatnonzero(self.targets[1:] >= 0) + 1
        entries = self.outputs[kept - 1]
        onehot = np.zeros((len(kept), self.guesses.shape[1]))
        onehot[np.arange(len(kept)), self.targets[kept]] = 1.0
        cache = np.zeros((len(self.scored), self.guesses.shape[1]))
        has_cache = np.zeros(len(self.scored), dtype=bool)
        for rows in np.array_split(np.arange(len(self.scored)), max(1, len(self.scored) // QUERY_BLOCK)):
            queries = self.scored[rows]
            available = np.searchsorted(kept, queries)  # how many entries exist when key j is guessed
            first, last = max(0, available.min() - cache_size), available.max()  # the entries any row can see
            position = np.arange(first, last)
            visible = (position < available[:, None]) & (position >= available[:, None] - cache_size)
            scores = theta * (self.outputs[np.maximum(queries - 1, 0)] @ entries[first:last].T)
            scores = np.where(visible, scores, -np.inf)
            seen = visible.any(axis=1)
            peak = np.where(seen, scores.max(axis=1, initial=-np.inf), 0.0)
            weights = np.exp(scores - peak[:, None])
            total = weights.sum(axis=1, keepdims=True)
            cache[rows] = weights @ onehot[first:last] / np.where(total > 0, total, 1.0)
            has_cache[rows] = seen
        return cache, has_cache

    def hit_rate(self, cache_lambda: float, cache: np.ndarray, has_cache: np.ndarray) -> float:
        return mixed_hit_rate(self._scored_guesses, cache, has_cache, cache_lambda, self._scored_targets)


def choose_adaptation(model, vocab, context: str, val_text: str, memory=None) -> Adaptation:
    """Score every candidate on the validation keys played adaptively (with `memory` voting, as it will in play);
    the best hit rate wins (ties: the first, in the order learning rate, size, weight)."""
    keys, warmup = val_text[:MAX_KEYS], context[-WARMUP_KEYS:]
    best: Adaptation | None = None
    for adapt_lr in LEARNING_RATES:
        predictor = NeuralPredictor(
            copy.deepcopy(model), vocab, adaptive=True, adapt_lr=adapt_lr, cache_lambda=0.0, memory=memory
        )
        trace = Trace(predictor, warmup, keys)
        for cache_size in CACHE_SIZES:
            cache, has_cache = trace.cache_guesses(predictor.cache_theta, cache_size)
            for cache_lambda in CACHE_WEIGHTS:
                hit_rate = trace.hit_rate(cache_lambda, cache, has_cache)
                if best is None or hit_rate > best.hit_rate:
                    best = Adaptation(adapt_lr, cache_lambda, cache_size, round(hit_rate, 6))
    return best


def model_predictor(checkpoint, *, adaptive: bool, memory: bool = True) -> NeuralPredictor:
    """The checkpoint's model as a player, with the memory of its fitted keys if training chose one (and `memory`),
    adapting (if asked) with the settings chosen when it was trained."""
    settings = Adaptation.from_json(checkpoint.meta.get("adaptation")).predictor_settings()
    store = build_memory(checkpoint, MemorySettings.from_json(checkpoint.meta.get("memory"))) if memory else None
    return NeuralPredictor(checkpoint.model, checkpoint.vocab, adaptive=adaptive, memory=store, **settings)
