"""The online mixer: many experts, one distribution, weights learned from how each has read this player so far.

Geometric (log-domain) mixing, the many-symbol form of PAQ's logistic mixing:

    p(x) = exp(sum_i w_i * log p_i(x)) / Z

After every key y the weights take one step down the gradient of the log loss -log p(y):

    d(-log p(y)) / d w_i = -(log p_i(y) - sum_x p(x) log p_i(x))

so an expert that gave the key more log-probability than the mixture expected gains weight. The weights are not
tied to sum to one: their total acts as an inverse temperature, so the mixture can also sharpen or flatten. Steps are
scaled per weight by a running root-mean-square of its gradients (RMSprop), which keeps one learning rate sensible
from 2 keys to 100. Nothing is chosen once and frozen: an expert that stops reading the player loses weight within
a few dozen keys.

Optionally a small context (for instance how many keys were seen, bucketed) selects one of a few weight sets; a set
first used starts as a copy of the one used last.

The mixture speaks over a common alphabet: the union of its experts' keys (growing as they learn keys), or a fixed
`keys` list. An expert's distribution is mixed with a little of the uniform one first (`floor`), so a key it cannot
name costs it a bounded loss instead of an infinite one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from keytui.metrics import StreamingMetrics
from keytui.predictors.base import Predictor

Context = Callable[["MixturePredictor"], int]


def keys_seen_context(bounds: Sequence[int] = (20, 200)) -> Context:
    """A context for weight sets: how many keys the mixture has seen, bucketed at `bounds`."""
    edges = np.asarray(bounds)

    def context(mixture: MixturePredictor) -> int:
        return int(np.searchsorted(edges, mixture.seen, side="right"))

    return context


class MixturePredictor(Predictor):
    name = "mixture"

    def __init__(
        self,
        experts: Sequence[Predictor] | Mapping[str, Predictor],
        keys: Sequence[str] | None = None,
        *,
        learning_rate: float = 0.02,
        floor: float = 1e-3,
        initial_weight: float | None = None,
        context: Context | None = None,
    ) -> None:
        super().__init__()
        if isinstance(experts, Mapping):
            named = list(experts.items())
        else:
            named = [(getattr(e, "name", "expert"), e) for e in experts]
        if not named:
            raise ValueError("a mixture needs at least one expert")
        self.names = _unique([name for name, _ in named])
        self.experts = [expert for _, expert in named]
        self.fixed_keys = keys is not None
        self.keys = list(dict.fromkeys(keys)) if keys is not None else []
        self.learning_rate = learning_rate
        self.floor = floor
        self.context = context
        start = 1.0 / len(self.experts) if initial_weight is None else initial_weight
        self._initial = np.full(len(self.experts), start)
        self._sets: dict[int, np.ndarray] = {}
        self._square: dict[int, np.ndarray] = {}
        self._last_set = 0
        self._maps: list[tuple[int, np.ndarray]] = [(-1, np.zeros(0, dtype=np.int64))] * len(self.experts)
        self._metrics = {name: StreamingMetrics() for name in self.names}
        self.seen = 0
        self._step: tuple[int, np.ndarray, np.ndarray] | None = None  # (weight set, log-probs (E, K), mixed (K,))
        self._sync_all()

    # --- what the game and eval read -------------------------------------------------------------------------------

    def probs(self) -> np.ndarray:
        return self._current()[2]

    def weights(self) -> dict[str, float]:
        """The weight each expert has in the set the next guess uses."""
        return dict(zip(self.names, self._weights(self._context()).tolist(), strict=True))

    def expert_metrics(self) -> dict[str, StreamingMetrics]:
        """Each expert's running figures on the keys this mixture has seen (scored over the common alphabet)."""
        return self._metrics

    # --- learning --------------------------------------------------------------------------------------------------

    def observe(self, key: str) -> None:
        weight_set, log_probs, mixed = self._current()
        index = self._key_index().get(key)
        self._score_experts(key, index, log_probs)
        if index is not None:
            gradient = log_probs[:, index] - log_probs @ mixed  # ascent direction of log p(key)
            square = self._square[weight_set]
            square *= 0.99
            square += 0.01 * gradient**2
            self._sets[weight_set] += self.learning_rate * gradient / (np.sqrt(square) + 1e-3)
        elif not self.fixed_keys:
            self.keys.append(key)
        for expert in self.experts:
            expert.observe(key)
        self.seen += 1
        self._step = None
        self._sync_all()  # `keys` names every key an expert can name before the next guess is asked for

    def settle(self) -> None:
        for expert in self.experts:
            expert.settle()

    # --- internals -------------------------------------------------------------------------------------------------

    def _context(self) -> int:
        return self.context(self) if self.context is not None else 0

    def _weights(self, weight_set: int) -> np.ndarray:
        if weight_set not in self._sets:
            previous = self._sets.get(self._last_set)
            self._sets[weight_set] = (previous if previous is not None else self._initial).copy()
            square = self._square.get(self._last_set)
            self._square[weight_set] = square.copy() if square is not None else np.ones(len(self.experts))
        self._last_set = weight_set
        return self._sets[weight_set]

    def _current(self) -> tuple[int, np.ndarray, np.ndarray]:
        if self._step is None:
            log_probs = self._expert_log_probs()
            weight_set = self._context()
            if log_probs.shape[1] == 0:
                self._step = (weight_set, log_probs, np.zeros(0))
            else:
                mixed = self._weights(weight_set) @ log_probs
                mixed = np.exp(mixed - mixed.max())
                self._step = (weight_set, log_probs, mixed / mixed.sum())
        return self._step

    def _expert_log_probs(self) -> np.ndarray:
        """(E, K): each expert's log-probability of every key of the common alphabet, floored."""
        distributions = [expert.probs() for expert in self.experts]
        for i, expert in enumerate(self.experts):
            self._sync(i, expert)
        size = len(self.keys)
        log_probs = np.empty((len(self.experts), size))
        if size == 0:
            return log_probs
        for i, probs in enumerate(distributions):
            _, positions = self._maps[i]
            row = np.zeros(size)
            known = positions >= 0
            if len(probs):
                row[positions[known]] = probs[: len(positions)][known]
            total = row.sum()
            row = row / total if total > 0 else np.full(size, 1.0 / size)
            log_probs[i] = np.log((1.0 - self.floor) * row + self.floor / size)
        return log_probs

    def _sync_all(self) -> None:
        for i, expert in enumerate(self.experts):
            self._sync(i, expert)

    def _sync(self, i: int, expert: Predictor) -> None:
        """Map the expert's keys onto the common alphabet (growing it unless fixed) when its key list has grown."""
        count, _ = self._maps[i]
        if count == len(expert.keys):
            return
        index = self._key_index()
        if not self.fixed_keys:
            for key in expert.keys:
                if key not in index:
                    self.keys.append(key)
                    index = self._key_index()
        positions = np.array([index.get(key, -1) for key in expert.keys], dtype=np.int64)
        self._maps[i] = (len(expert.keys), positions)

    def _score_experts(self, key: str, index: int | None, log_probs: np.ndarray) -> None:
        if log_probs.shape[1] == 0:
            for metrics in self._metrics.values():
                metrics.update(key, ["\x00"], 0.0)
            return
        k = min(3, log_probs.shape[1])
        for name, row in zip(self.names, log_probs, strict=True):
            top = np.argpartition(-row, k - 1)[:k] if k < len(row) else np.arange(len(row))
            top = top[np.argsort(-row[top], kind="stable")]
            p_actual = float(np.exp(row[index])) if index is not None else 0.0
            self._metrics[name].update(key, [self.keys[j] for j in top], p_actual)


def _unique(names: list[str]) -> list[str]:
    """The names, with a number added to any repeated one (two n-grams become ngram and ngram-2)."""
    seen: dict[str, int] = {}
    result = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        result.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return result
