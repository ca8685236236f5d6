"""Context-tree experts for the few-key game: every context length at once, weighted by how well each has predicted.

A count table of the last `n` presses (Aaronson's oracle is n = 5) must fix `n` in advance: too short misses a
habit, too long learns slowly. Context tree weighting (Willems, Shtarkov and Tjalkens, 1995) keeps counts for every
suffix of the context up to `depth` and mixes them as a Bayesian would over every tree of contexts: each node
predicts with its own counts or hands over to its longer contexts, and the odds between the two are the product of
how well each predicted the presses that reached that node. Early in a game the short contexts lead (they have the
data); a long habit takes over once its contexts have predicted better. No order is chosen, none is learned slowly.

    pw(x | s) = w_s pe(x | s) + (1 - w_s) pw(x | child of s),   w_s = sigmoid(log_split_s)
    after x:    log_split_s += log pe(x | s) - log pw(x | child of s)

Two choices make a tree:
- `context`: the last keys, or the last moves (a move is the key relative to the one before, round the key set: on
  f/d "same" or "switch"). A habit such as "switch after two of a kind" is one context of moves whichever keys it
  is played on, but four contexts of keys.
- `estimate`: what a node counts to predict: the next key, the next move, or both, mixed at each node as a Bayesian
  would (the odds between the two are how well each has predicted there). With "both", a player who favours one
  key and a player who alternates are each one count at the root, whichever the context.

Counts use additive smoothing `alpha`; a larger alpha keeps a rarely seen long context near uniform, so the short
contexts decide until the long one has evidence (on the synthetic players alpha = 1 hit more often than the KT
estimator's 1/2 over the first 100 presses). The depth shrinks as the key set grows so that the deepest level has
at most about `NODE_BUDGET` contexts: memory stays bounded on a million presses of twelve keys.
"""

from __future__ import annotations

import math

MAX_DEPTH = 8
NODE_BUDGET = 20_000  # (k + 1) ** depth at most: contexts of the deepest level


def depth_for(k: int, max_depth: int = MAX_DEPTH) -> int:
    """The longest context a tree over `k` keys keeps: `max_depth`, shortened until its deepest level fits."""
    depth = max_depth
    while depth > 1 and (k + 1) ** depth > NODE_BUDGET:
        depth -= 1
    return depth


def _sigmoid(log_odds: float) -> float:
    if log_odds < -30.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-log_odds))


class ContextTree:
    """One context tree over keys 0..k-1: `probs()` before a press, `observe(key)` after it."""

    def __init__(
        self, k: int, context: str = "keys", estimate: str = "both", depth: int | None = None, alpha: float = 1.0
    ) -> None:
        if context not in ("keys", "moves") or estimate not in ("keys", "moves", "both"):
            raise ValueError(f"no context tree of {context!r} estimating {estimate!r}")
        self.k = k
        self.context = context
        self.estimate = estimate
        self.depth = depth_for(k) if depth is None else depth
        self.alpha = alpha
        # node: [key counts, move counts, keys seen, moves seen, log odds own-vs-longer, log odds keys-vs-moves]
        self._nodes: dict[tuple[int, int], list] = {}
        self.reset()

    def reset(self) -> None:
        """Forget everything: a tree of one player's presses, before the next player's first."""
        self._nodes.clear()
        self.new_sequence()

    def new_sequence(self) -> None:
        """A new player's first press comes next: forget the context, keep every count (a shared tree's memory)."""
        self._symbols: list[int] = []  # the context, most recent last: keys or moves
        self.last: int | None = None  # the last key pressed
        self._step: tuple | None = None

    def probs(self) -> list[float]:
        """The distribution of the next key, over keys 0..k-1."""
        if self._step is None:
            self._weigh()
        return self._step[2][0]

    def observe(self, key: int) -> None:
        path, owns, mixed = self._step if self._step is not None else self._weigh()
        last = self.last
        move = None if last is None else (key - last) % self.k
        for d, node in enumerate(path):
            if d < len(path) - 1:
                node[4] += math.log(owns[d][2][key]) - math.log(mixed[d + 1][key])
            if self.estimate == "both" and move is not None:
                node[5] += math.log(owns[d][0][key]) - math.log(owns[d][1][key])
            node[0][key] += 1.0
            node[2] += 1.0
            if move is not None:
                node[1][move] += 1.0
                node[3] += 1.0
        symbol = key if self.context == "keys" else move
        if symbol is not None:
            self._symbols.append(symbol)
            del self._symbols[: -self.depth or None]
        self.last = key
        self._step = None

    def _path(self) -> list[list]:
        k, symbols, nodes = self.k, self._symbols, self._nodes
        path, code = [], 0
        for d in range(self.depth + 1):
            node = nodes.get((d, code))
            if node is None:
                node = nodes[(d, code)] = [[0.0] * k, [0.0] * k, 0.0, 0.0, 0.0, 0.0]
            path.append(node)
            if d < self.depth:
                symbol = symbols[-1 - d] if d < len(symbols) else k  # k: before the first press
                code = code * (k + 1) + symbol + 1
        return path

    def _own(self, node: list) -> tuple[list[float], list[float], list[float]]:
        """A node's own estimate of the next key: from its key counts, from its move counts, and the two mixed."""
        k, alpha, last = self.k, self.alpha, self.last
        total = node[2] + k * alpha
        keys = [(count + alpha) / total for count in node[0]]
        if last is None:
            return keys, keys, keys  # no move before the first press: the key counts speak for both
        total = node[3] + k * alpha
        moves = [(node[1][(x - last) % k] + alpha) / total for x in range(k)]
        if self.estimate == "keys":
            return keys, moves, keys
        if self.estimate == "moves":
            return keys, moves, moves
        w = _sigmoid(node[5])
        return keys, moves, [w * a + (1 - w) * b for a, b in zip(keys, moves, strict=True)]

    def _weigh(self) -> tuple:
        path = self._path()
        owns = [self._own(node) for node in path]
        mixed: list[list[float]] = [[]] * len(path)
        below = mixed[-1] = owns[-1][2]
        for d in range(len(path) - 2, -1, -1):
            w = _sigmoid(path[d][4])
            below = mixed[d] = [w * a + (1 - w) * b for a, b in zip(owns[d][2], below, strict=True)]
        self._step = (path, owns, mixed)
        return self._step
