"""The few-key game's recency experts: small count models that forget, each knowing one kind of context.

The context trees (keytui/oracle/trees.py) read a player who keeps one habit; these follow a player who changes
strategy. With 2 to 12 keys every expert is a table of counts: for a context (the last few keys or the last few
moves, or where in a cycle the press falls), how often each next key or move followed. Four kinds of context:

- keys: the last `order` keys pressed (order 0: how often each key is pressed at all). Aaronson's oracle is order 5.
- moves: the last `order` moves, a move being how far the key is from the one before it, round the key set
  ((key - previous) mod k: on f/d, "same" or "switch"). It predicts the next move, so what a player does after
  "f f" it also knows after "d d": half the data for the same habit, and cyclers on rock-paper-scissors
  (r -> p -> s) are one context, not three.
- phase: the press's position in a cycle of `order` presses (the number of presses so far, mod `order`). A player
  who plays a short pattern as a rhythm ("f f d f d", over and over) keeps its phase when a press goes astray, so
  per-phase counts read the pattern through the noise, where a context of the last few keys is broken for as many
  presses as it is long. On the synthetic cyclers this lifted the first 100 presses from 78% to 86% (the order-5
  oracle: 80%). They forget (decay 0.95) so that a player who drops or adds a press is found again in its new phase.
- recency: the next key's rank by how recently it was last pressed (0: the last key, k-1: the key pressed longest
  ago), counted after the last `order` such ranks. People asked to be random avoid the keys they have just used and
  cycle through all of them before repeating one; that habit is one count here whichever keys it falls on, where it
  is many contexts of keys. On f/d it is the moves (0 "same", 1 "switch"); on rock-paper-scissors and digits it is
  not.

Each is recency-weighted (`decay` < 1: every count of a context shrinks a little each time that context comes up,
so a player who changes strategy is followed within a few dozen presses; `decay` = 1 gives plain counts). They learn
from the present player only and start empty for each new one.

All tables of a bank answer in one (E, K) array per press: a Python loop over experts, one array build, no per-expert
numpy calls, so a few dozen experts cost well under a millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ExpertSpec:
    name: str
    context: str  # "keys", "moves", "phase" or "recency"
    order: int  # keys or moves of context; for "phase", the cycle's length
    decay: float = 1.0  # 1: plain counts; below 1: a context's counts shrink by this factor each time it comes up
    alpha: float = 0.4  # additive smoothing: probabilities are (count + alpha) / (total + k * alpha)


def recency_experts() -> tuple[ExpertSpec, ...]:
    """The forgetting experts the few-key predictor uses beside its context trees (on the synthetic players they
    lifted players who switch strategy by 2 points at 1,000 presses and cost no other kind), and the cycle experts
    of 3 to 8 presses (2 is an alternator, which the moves already read), and the recency ranks (for rock-paper-
    scissors and digits, where they are not the moves)."""
    specs = [ExpertSpec(f"keys-{order}-recent", "keys", order, decay=0.9) for order in (0, 1, 3)]
    specs += [ExpertSpec(f"moves-{order}-recent", "moves", order, decay=0.9) for order in (1, 2, 4)]
    specs += [ExpertSpec(f"moves-{order}-fast", "moves", order, decay=0.7, alpha=0.2) for order in (3, 6)]
    specs += [ExpertSpec(f"phase-{length}", "phase", length, decay=0.95, alpha=0.2) for length in range(3, 9)]
    specs += [ExpertSpec(f"recency-{order}", "recency", order) for order in (0, 1, 2)]
    specs += [ExpertSpec(f"recency-{order}-recent", "recency", order, decay=0.9) for order in (0, 1, 2)]
    return tuple(specs)


class ExpertBank:
    """Every expert's counts for the present context, kept up to date press by press over keys 0..k-1."""

    def __init__(self, k: int, specs: tuple[ExpertSpec, ...]) -> None:
        self.k = k
        self.specs = specs
        self.names = [spec.name for spec in specs]
        self.base = k + 1  # keys and moves are coded 1..k, so a short history is a context of its own
        self._moduli = [spec.order if spec.context == "phase" else self.base**spec.order for spec in specs]
        self._kinds = [spec.context for spec in specs]
        self._decays = [spec.decay for spec in specs]
        self.alphas = np.array([spec.alpha for spec in specs])
        self.relative = np.array([spec.context == "moves" for spec in specs], dtype=bool)  # rows over moves, not keys
        self.ranked = np.array([spec.context == "recency" for spec in specs], dtype=bool)  # rows over recency ranks
        self._tables: list[dict[int, list[float]]] = []
        self._zeros = [0.0] * k
        # (x - previous) mod k for every previous key: turns a row over moves into a row over keys
        self._to_keys = np.array([[(x - last) % k for x in range(k)] for last in range(k)])
        self.new_player()

    def new_player(self) -> None:
        """Forget the present player: the next press is a new player's first."""
        self._tables = [{} for _ in self.specs]
        self.keys_context = 0
        self.moves_context = 0
        self.recency_context = 0
        self.recent = list(range(self.k))  # keys, the most recently pressed first: a key's place is its rank
        self.last: int | None = None
        self.presses = 0

    def _context(self, i: int) -> int:
        kind = self._kinds[i]
        if kind == "keys":
            return self.keys_context % self._moduli[i]
        if kind == "phase":
            return self.presses % self._moduli[i]
        if kind == "recency":
            return self.recency_context % self._moduli[i]
        return self.moves_context % self._moduli[i]

    def counts(self) -> np.ndarray:
        """(E, K): each expert's counts for the present context, over keys (rows over moves already turned)."""
        zeros = self._zeros
        rows = []
        for i, table in enumerate(self._tables):
            rows.append(table.get(self._context(i), zeros))
        counts = np.array(rows)
        if self.last is None:
            counts[self.relative] = 0.0  # no previous key: a move means nothing yet
        else:
            counts[self.relative] = counts[self.relative][:, self._to_keys[self.last]]
        if self.ranked.any():
            rank_of = np.empty(self.k, dtype=int)
            rank_of[self.recent] = np.arange(self.k)
            counts[self.ranked] = counts[self.ranked][:, rank_of]
        return counts

    def probs(self) -> np.ndarray:
        """(E, K): each expert's smoothed distribution of the next key."""
        counts = self.counts() + self.alphas[:, None]
        return counts / counts.sum(axis=1, keepdims=True)

    def observe(self, key: int) -> None:
        """Count `key` in every expert's present context, then move the contexts on."""
        move = None if self.last is None else (key - self.last) % self.k
        rank = self.recent.index(key)
        for i, table in enumerate(self._tables):
            kind = self._kinds[i]
            symbol = move if kind == "moves" else rank if kind == "recency" else key
            if symbol is None:
                continue
            context = self._context(i)
            row = table.get(context)
            decay = self._decays[i]
            if row is None:
                row = table[context] = list(self._zeros)
            elif decay != 1.0:
                row = table[context] = [count * decay for count in row]
            row[symbol] += 1.0
        base = self.base
        self.keys_context = (self.keys_context * base + key + 1) % (base**8)
        if move is not None:
            self.moves_context = (self.moves_context * base + move + 1) % (base**9)
        self.recency_context = (self.recency_context * base + rank + 1) % (base**8)
        self.recent.remove(key)
        self.recent.insert(0, key)
        self.last = key
        self.presses += 1
