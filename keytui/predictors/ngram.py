"""A variable-order n-gram (PPM-style blend of orders 0..max_order): from a text, from nothing, or both."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from keytui.predictors.base import Predictor


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
        # per context, its followers as (key indices, counts, total), so a guess is a few vector operations instead
        # of a loop over every follower: short contexts (order 0 and 1, which change with nearly every key) keep a
        # dense count vector updated in place; longer ones are built when a guess needs them and dropped when their
        # counts change
        self._arrays: dict[str, tuple[np.ndarray, np.ndarray, int]] = {}
        self._dense: dict[str, list] = {}  # context -> [counts over self.keys (grown as keys come), total, distinct]
        self._probs: np.ndarray | None = None
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
            seen = followers.get(key, 0)
            followers[key] = seen + 1
            if order <= 1:
                self._count_dense(context, key, new=seen == 0)
            else:
                self._arrays.pop(context, None)
        self.history = (history + key)[-self.max_order :]

    def _count_dense(self, context: str, key: str, *, new: bool) -> None:
        dense = self._dense.get(context)
        if dense is None:
            dense = self._dense[context] = [np.zeros(max(8, len(self.keys))), 0, 0]
        index = self._key_index()[key]
        if index >= len(dense[0]):
            dense[0] = np.concatenate([dense[0], np.zeros(max(index + 1, 2 * len(dense[0])) - len(dense[0]))])
        dense[0][index] += 1
        dense[1] += 1
        dense[2] += new

    def _followers(self, context: str) -> tuple[np.ndarray, np.ndarray, int] | None:
        if len(context) <= 1:
            return None  # short contexts are dense: see probs()
        arrays = self._arrays.get(context)
        if arrays is None:
            followers = self.counts.get(context)
            if not followers:
                return None
            index = self._key_index()
            positions = np.fromiter((index[key] for key in followers), dtype=np.int64, count=len(followers))
            counts = np.fromiter(followers.values(), dtype=np.float64, count=len(followers))
            arrays = self._arrays[context] = (positions, counts, int(counts.sum()))
        return arrays

    def probs(self) -> np.ndarray:
        if self._probs is not None and len(self._probs) == len(self.keys):
            return self._probs
        size = len(self.keys)
        if size == 0:
            return np.zeros(0)
        probs = np.full(size, 1.0 / size)
        history = self.history
        for order in range(min(self.max_order, len(history)) + 1):
            context = history[len(history) - order :]
            if order <= 1:
                dense = self._dense.get(context)
                if dense is None:
                    break  # a longer context that was never seen can't have been seen either
                counts, total, distinct = dense
                blended = probs * distinct
                known = min(len(counts), size)  # the dense vector grows with the keys it has counted
                blended[:known] += counts[:known]
                probs = blended / (total + distinct)
                continue
            followers = self._followers(context)
            if followers is None:
                break
            positions, counts, total = followers
            distinct = len(counts)
            blended = probs * distinct
            blended[positions] += counts  # each key once per context: no repeated index
            probs = blended / (total + distinct)
        self._probs = probs
        return probs

    def observe(self, key: str) -> None:
        self._probs = None
        if self.adaptive:
            self._learn(key)
        else:
            self.history = (self.history + key)[-self.max_order :]
