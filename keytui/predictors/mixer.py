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

from keytui.data.metrics import StreamingMetrics
from keytui.predictors.base import Predictor

Context = Callable[["MixturePredictor"], int]


def keys_seen_context(bounds: Sequence[int] = (20, 200)) -> Context:
    """A context for weight sets: how many keys the mixture has seen, bucketed at `bounds`."""
    edges = np.asarray(bounds)

    def context(mixture: MixturePredictor) -> int:
        return int(np.searchsorted(edges, mixture.seen, side="right"))

    return context


class _WeightSets:
    """Weight vectors selected by a small context, each stepped along its gradient scaled by a running RMS of it."""

    def __init__(self, initial: np.ndarray, learning_rate: float) -> None:
        self.initial = initial
        self.learning_rate = learning_rate
        self.sets: dict[int, np.ndarray] = {}
        self.square: dict[int, np.ndarray] = {}
        self.last = 0

    def weights(self, context: int) -> np.ndarray:
        if context not in self.sets:  # a set first used starts as a copy of the one used last
            previous = self.sets.get(self.last)
            self.sets[context] = (previous if previous is not None else self.initial).copy()
            square = self.square.get(self.last)
            self.square[context] = square.copy() if square is not None else np.ones(len(self.initial))
        self.last = context
        return self.sets[context]

    def step(self, context: int, gradient: np.ndarray) -> None:
        square = self.square[context]
        square *= 0.99
        square += 0.01 * gradient**2
        self.sets[context] += self.learning_rate * gradient / (np.sqrt(square) + 1e-3)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


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
        context: Context | Sequence[Context] | None = None,
        votes: bool = True,
        average: bool = False,
        average_start: float = 0.0,
    ) -> None:
        """`context`: one function choosing the weight set, or several: then each is a mixer of its own over the
        experts, and a final mixer (one weight set) combines their outputs the same way, as in PAQ's two layers.
        `votes`: each expert's top guess is an input of its own; `average`: so is the experts' plain average (see
        `_inputs`), starting at weight `average_start`, the experts then sharing the rest of 1 equally (unless
        `initial_weight` gives each of them its own start)."""
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
        if context is None or callable(context):
            self.contexts: list[Context | None] = [context]
        else:
            self.contexts = list(context) or [None]
        self.votes = votes
        self.average = average
        average_start = average_start if average else 0.0
        start = (1.0 - average_start) / len(self.experts) if initial_weight is None else initial_weight
        initial = np.full(len(self.experts), start)
        if votes:  # each expert's top guess as an input of its own, weighing nothing at first
            initial = np.concatenate([initial, np.zeros(len(self.experts))])
        if average:  # the experts' average as one more input
            initial = np.append(initial, average_start)
        self._layers = [_WeightSets(initial, learning_rate) for _ in self.contexts]
        self._final = _WeightSets(np.full(len(self.contexts), 1.0 / len(self.contexts)), learning_rate)
        # per expert: how many keys it had when mapped, and which of its keys go where in the alphabet (None: in place)
        self._maps: list[tuple[int, tuple[np.ndarray, np.ndarray] | None]] = [(-1, None)] * len(self.experts)
        self._metrics = {name: StreamingMetrics() for name in self.names}
        self._unscored: tuple[str, int | None, np.ndarray] | None = None  # the last key, for the experts' figures
        self.seen = 0
        # (weight set per first-layer mixer, expert log-probs (E, K), first-layer log-probs (M, K), mixed (K,))
        self._step: tuple[list[int], np.ndarray, np.ndarray, np.ndarray] | None = None
        self._sync_all()

    # --- what the game and eval read -------------------------------------------------------------------------------

    def probs(self) -> np.ndarray:
        return self._current()[3]

    def weights(self) -> dict[str, float]:
        """The weight each expert has in the set the next guess uses (of the first mixer, when there are several)."""
        weights = self._layers[0].weights(self._context_values()[0])[: len(self.experts)]
        return dict(zip(self.names, weights.tolist(), strict=True))

    def vote_weights(self) -> dict[str, float]:
        """The weight each expert's top guess has as a vote of its own (0 without votes)."""
        weights = self._layers[0].weights(self._context_values()[0])
        votes = weights[len(self.experts) : 2 * len(self.experts)] if self.votes else np.zeros(len(self.experts))
        return dict(zip(self.names, votes.tolist(), strict=True))

    def average_weight(self) -> float:
        """The weight of the experts' plain average as an input (0 without `average`)."""
        return float(self._layers[0].weights(self._context_values()[0])[-1]) if self.average else 0.0

    def expert_metrics(self) -> dict[str, StreamingMetrics]:
        """Each expert's running figures on the keys this mixture has seen (scored over the common alphabet)."""
        self._score_experts()
        return self._metrics

    def reset_expert_metrics(self) -> None:
        """Start the experts' figures afresh (after keys that should not count, such as a warmup)."""
        self._unscored = None
        self._metrics = {name: StreamingMetrics() for name in self.names}

    # --- learning --------------------------------------------------------------------------------------------------

    def observe(self, key: str) -> None:
        self._score_experts()  # the previous key's, if settle() did not get to it
        contexts, log_probs, layer_log_probs, mixed = self._current()
        index = self._key_index().get(key)
        if index is not None:
            for layer, context, own in zip(self._layers, contexts, layer_log_probs, strict=True):
                # ascent direction of log p(key) for this mixer's weights
                layer.step(context, log_probs[:, index] - log_probs @ np.exp(own))
            if len(self._layers) > 1:
                self._final.step(0, layer_log_probs[:, index] - layer_log_probs @ mixed)
        # the experts are scored in settle(): it need not delay the next guess
        self._unscored = (key, index, log_probs[: len(self.experts)])
        self._pass_on(key, warm=False)
        self.seen += 1

    def warm(self, key: str) -> None:
        """The experts read `key`; the weights do not learn from it (keys the experts were fitted on would teach
        them to trust whichever expert memorised those keys)."""
        self._score_experts()  # the previous key's; this one is not scored
        self._pass_on(key, warm=True)

    def _pass_on(self, key: str, *, warm: bool) -> None:
        """Every expert reads `key` (observes it, or with `warm` reads it as context); the alphabet grows with it."""
        if key not in self._key_index() and not self.fixed_keys:
            self.keys.append(key)
        for expert in self.experts:
            if warm:
                expert.warm(key)
            else:
                expert.observe(key)
        self._step = None
        self._sync_all()  # `keys` names every key an expert can name before the next guess is asked for

    def settle(self) -> None:
        self._score_experts()
        for expert in self.experts:
            expert.settle()

    # --- internals -------------------------------------------------------------------------------------------------

    def _context_values(self) -> list[int]:
        return [context(self) if context is not None else 0 for context in self.contexts]

    def _current(self) -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray]:
        if self._step is None:
            log_probs = self._inputs(self._expert_probs())
            contexts = self._context_values()
            if log_probs.shape[1] == 0:
                self._step = (contexts, log_probs, np.zeros((len(self._layers), 0)), np.zeros(0))
                return self._step
            weights = np.stack([layer.weights(c) for layer, c in zip(self._layers, contexts, strict=True)])
            layer_log_probs = _log_softmax(weights @ log_probs)  # (M, K)
            if len(self._layers) == 1:
                mixed = np.exp(layer_log_probs[0])
            else:
                mixed = np.exp(_log_softmax(self._final.weights(0) @ layer_log_probs))
            self._step = (contexts, log_probs, layer_log_probs, mixed / mixed.sum())
        return self._step

    def _inputs(self, probs: np.ndarray) -> np.ndarray:
        """The mixer's inputs, from the experts' floored distributions `probs` (E, K): each expert's log-probabilities
        and, with votes, a one-hot row for its top guess (in the log domain a bonus for that key, so trusting an
        expert's guess is not all-or-nothing with its spread: a sharp expert can be followed for its guess while its
        probabilities are damped). With `average`,
        one more row: the log of the experts' plain (linear) average. A geometric mixture punishes a key that any
        trusted expert calls unlikely; the average keeps every key some expert believes in, which is what a
        regime no expert owns (fresh keys between a masher's replays) looks like."""
        count, size = probs.shape
        if size == 0:
            return np.log(probs)
        inputs = np.empty((count * (1 + self.votes) + self.average, size))  # one array, filled row block by block
        log_probs = np.log(probs, out=inputs[:count])
        if self.votes:
            votes = inputs[count : 2 * count]
            votes.fill(0.0)
            votes[np.arange(count), log_probs.argmax(axis=1)] = 1.0
        if self.average:
            np.log(probs.sum(axis=0) * (1.0 / count), out=inputs[-1])
        return inputs

    def _expert_probs(self) -> np.ndarray:
        """(E, K): each expert's probability of every key of the common alphabet, floored."""
        distributions = [expert.probs() for expert in self.experts]
        for i, expert in enumerate(self.experts):
            self._sync(i, expert)
        size = len(self.keys)
        table = np.zeros((len(self.experts), size))
        if size == 0:
            return table
        for i, probs in enumerate(distributions):
            _, places = self._maps[i]
            if not len(probs):
                continue
            if places is None:  # the expert's keys are the first keys of the alphabet, in the same order
                table[i, : len(probs)] = probs
            else:
                sources, targets = places
                table[i, targets] = probs[sources]
        totals = table.sum(axis=1)
        if totals.min() > 0:
            table /= totals[:, None]
        else:  # an expert with nothing to say about these keys says every key alike
            table = np.where(totals[:, None] > 0, table / np.where(totals > 0, totals, 1.0)[:, None], 1.0 / size)
        table *= 1.0 - self.floor
        table += self.floor / size
        return table

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
        if np.array_equal(positions, np.arange(len(positions))):
            self._maps[i] = (len(expert.keys), None)
        else:  # (which of the expert's keys the alphabet has, where they go in it)
            sources = np.flatnonzero(positions >= 0)
            self._maps[i] = (len(expert.keys), (sources, positions[sources]))

    def _score_experts(self) -> None:
        if self._unscored is None:
            return
        key, index, log_probs = self._unscored
        self._unscored = None
        if log_probs.shape[1] == 0:
            for metrics in self._metrics.values():
                metrics.update(key, ["\x00"], 0.0)
            return
        k = min(3, log_probs.shape[1])
        for name, row in zip(self.names, log_probs, strict=True):
            top = np.argpartition(-row, k - 1)[:k] if k < len(row) else np.arange(len(row))
            top = top[np.argsort(-row[top], kind="stable")]
            p_actual = float(np.exp(row[index])) if index is not None else 0.0
            self._metrics[name].update(key, [self.keys[j] for j in top], p_actual, float(np.exp(row[top[0]])))


def _unique(names: list[str]) -> list[str]:
    """The names, with a number added to any repeated one (two n-grams become ngram and ngram-2)."""
    seen: dict[str, int] = {}
    result = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        result.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return result
