"""The one interface every predictor (expert or mixture) has, and `replay`, which plays a text against one.

`observe(key)` after a key lands, `probs()` / `distribution()` / `guess(k)` before the next one. Adaptive predictors
keep learning from the keys they are shown, as they would in a live game.
"""

from __future__ import annotations

import time

import numpy as np

from keytui.data.metrics import StreamingMetrics


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

    def warm(self, key: str) -> None:
        """Read a key of context before a game is scored (the end of the keys a model was fitted on). A predictor
        whose learning those keys would mislead (the mixer: every expert that memorised them looks perfect there)
        overrides this to read the key without learning from it; the others simply observe it."""
        self.observe(key)
        self.settle()

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


class MemoisedPredictor(Predictor):
    """A predictor whose distribution is computed at most once per key: subclasses implement `_compute` and set
    `self._probs = None` whenever what it reads changes (the mixer, the game and the scoring all ask for it)."""

    def __init__(self) -> None:
        super().__init__()
        self._probs: np.ndarray | None = None

    def probs(self) -> np.ndarray:
        if self._probs is None:
            self._probs = self._compute()
        return self._probs

    def _compute(self) -> np.ndarray:
        raise NotImplementedError


def replay(
    predictor: Predictor,
    text: str,
    *,
    warmup: str = "",
    metrics: StreamingMetrics | None = None,
    hits: list[bool] | None = None,
    latencies: list[float] | None = None,
    guessed: list[str] | None = None,
):
    """Play `text` against `predictor`: it guesses each key before seeing it. `warmup` is observed unscored.
    `hits`, if given, receives whether each guess was right (for paired comparisons of two predictors);
    `latencies`, the seconds from each key to the next guess (observe + top-3), for benchmarks; `guessed`, each
    top guess ("" where there was none), to score against a simulator's true distribution."""
    metrics = metrics or StreamingMetrics()
    for key in warmup:
        predictor.warm(key)
    guesses, probs = predictor.ranked(3)
    for key in text:
        if guesses:
            metrics.update(key, guesses, predictor.prob_of(key, probs), float(probs.max()))
        else:
            metrics.update(key, ["\x00"], 0.0)
        if hits is not None:
            hits.append(bool(guesses) and guesses[0] == key)
        if guessed is not None:
            guessed.append(guesses[0] if guesses else "")
        started = time.perf_counter() if latencies is not None else 0.0
        predictor.observe(key)
        guesses, probs = predictor.ranked(3)
        if latencies is not None:
            latencies.append(time.perf_counter() - started)
        predictor.settle()  # deferred learning, outside the timed guess (it would run in the next observe anyway)
    return metrics
