"""The keyboard-geometry expert: it guesses the next key from where it sits relative to the last one.

It knows the layout, so from the first key it can say "this player goes to the other hand" or "this player rolls to a
neighbouring key" and spread that over every key of that kind, where an n-gram would have to have seen each pair. It
learns online, from nothing, two things:
- how often each relation follows each relation (same key, shift twin, neighbour to the left or right, same finger,
  same hand, mirror key on the other hand, other hand on the same row, other hand elsewhere, to and from the space bar,
  off the board, and the echo of the key before last), with the relation counts overall as the fallback;
- how often each key is pressed, to spread a relation's share over the keys that stand in that relation to the last.
"""

from __future__ import annotations

import numpy as np

from keytui.data.keyboard import DEFAULT_LAYOUT, KEY_RELATIONS, get_layout
from keytui.predictors.base import MemoisedPredictor

# echo: the key before the last one (a s a s ...), whatever its place; a neighbour to the left of the last key is told
# apart from one to its right, since rolls tend to go one way
RELATIONS = (*KEY_RELATIONS, "echo", "neighbour_left")
ECHO = len(KEY_RELATIONS)
NEIGHBOUR_LEFT = ECHO + 1
START = len(RELATIONS)  # "no relation yet": the context before the first key


class GeometryPredictor(MemoisedPredictor):
    """P(next) = sum over relations r of P(r | the relation that led to the last key) * P(next | r, last key), where
    the second factor spreads r's share over the keys in relation r to the last key, by how often each was pressed.

    `prior_strength` is how many keys' worth of belief the back-off gets; `key_prior` is the pseudo-count of every key
    (a small one: a key never pressed gets little, but not nothing)."""

    name = "geometry"

    def __init__(
        self,
        text: str = "",
        *,
        layout: str = DEFAULT_LAYOUT,
        adaptive: bool = True,
        prior_strength: float = 4.0,
        key_prior: float = 0.05,
    ) -> None:
        super().__init__()
        self.layout = get_layout(layout)
        self.adaptive = adaptive
        self.prior_strength = prior_strength
        self.key_prior = key_prior
        self.keys = list(self.layout.characters)
        self._relations = self._relation_matrix(self.keys)
        self.key_counts = np.zeros(len(self.keys))
        size = len(RELATIONS)
        self.relation_counts = np.zeros(size)
        self.follow_counts = np.zeros((size + 1, size))  # previous relation (or START) -> relation
        self.last: int | None = None
        self.before: int | None = None  # the key before the last one
        self.previous_relation = START
        for key in text:
            self._learn(key)
        self.last, self.before, self.previous_relation = None, None, START  # a game starts without context
        self._probs = None

    def _relation_matrix(self, keys: list[str]) -> np.ndarray:
        matrix = self.layout.relation_matrix(keys)
        xs = np.array([k.x if k is not None else np.nan for k in map(self.layout.key, keys)])
        leftwards = xs[None, :] < xs[:, None]  # [i, j]: key j sits left of key i
        matrix[(matrix == KEY_RELATIONS.index("neighbour")) & leftwards] = NEIGHBOUR_LEFT
        return matrix

    def _add_key(self, key: str) -> int:
        """A character the layout lacks (é on qwerty): it becomes a key of its own, off the board."""
        self.keys.append(key)
        size = len(self.keys)
        grown = np.full((size, size), KEY_RELATIONS.index("off_board"), dtype=np.int64)
        grown[: size - 1, : size - 1] = self._relations
        grown[size - 1, size - 1] = KEY_RELATIONS.index("same")
        self._relations = grown
        self.key_counts = np.append(self.key_counts, 0.0)
        return size - 1

    def _compute(self) -> np.ndarray:
        spread = self.key_counts + self.key_prior
        if self.last is None:
            return spread / spread.sum()
        classes = self._classes()  # (V,) relation of each key to the last
        mass = np.bincount(classes, weights=spread, minlength=len(RELATIONS))  # (R,)
        size = np.bincount(classes, minlength=len(RELATIONS))
        # back-off: the relations overall, themselves backed off to "every key alike"
        uniform = size / size.sum()
        overall = (self.relation_counts + self.prior_strength * uniform) / (
            self.relation_counts.sum() + self.prior_strength
        )
        follow = self.follow_counts[self.previous_relation]
        chance = (follow + self.prior_strength * overall) / (follow.sum() + self.prior_strength)
        chance *= size > 0  # relations no key stands in to the last one
        chance /= chance.sum()
        probs = chance[classes] * spread / mass[classes]
        return probs / probs.sum()

    def _classes(self) -> np.ndarray:
        classes = self._relations[self.last]
        if self.before is not None and self.before != self.last:
            classes = classes.copy()
            classes[self.before] = ECHO
        return classes

    def _move(self, index: int | None, learn: bool) -> None:
        if index is not None and self.last is not None:
            r = ECHO if index == self.before and index != self.last else int(self._relations[self.last, index])
            if learn:
                self.relation_counts[r] += 1
                self.follow_counts[self.previous_relation, r] += 1
            self.previous_relation = r
        if learn and index is not None:
            self.key_counts[index] += 1
        self.before, self.last = self.last, index

    def _learn(self, key: str) -> None:
        index = self._key_index().get(key)
        if index is None:
            index = self._add_key(key)
        self._move(index, learn=True)

    def observe(self, key: str) -> None:
        if self.adaptive:
            self._learn(key)
        else:
            self._move(self._key_index().get(key), learn=False)
        self._probs = None
