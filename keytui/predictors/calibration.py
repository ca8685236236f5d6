"""Honest confidence: the probability shown for the top guess, mapped to how often guesses like it have hit.

A mixture trained on log loss spreads its probabilities well on average, but the one figure a player sees, the top
guess's probability, can still be off (a sharp expert overclaims, early keys underclaim). The calibrator is PAQ's
adaptive probability map (APM, "secondary symbol estimation") on that figure: the top probability, in the logit
domain, falls between two of a few fixed knots; the knots hold the hit rate observed there, interpolated, and after
every key the two knots it fell between move towards the outcome (hit or miss) in proportion to their share. They
start on the identity, so an inner predictor that is already honest is left alone until the keys say otherwise.

The calibrated distribution gives the top key the calibrated probability and scales the others to fill the rest, never
so far that another key overtakes it: the guess shown never changes, only the confidence attached to it.
"""

from __future__ import annotations

import math

import numpy as np

from keytui.predictors.base import Predictor

KNOTS = np.linspace(-6.0, 6.0, 25)  # logit of the top probability, from 0.25% to 99.75%
KNOT_SPACING = float(KNOTS[1] - KNOTS[0])


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _knot_position(p: float) -> tuple[int, float]:
    """The knot at or below the logit of `p`, and how far (0..1) towards the next one it lies (np.interp's
    arithmetic on the evenly spaced knots, without its per-call cost on the guess path)."""
    position = (_logit(p) - KNOTS[0]) / KNOT_SPACING
    position = min(max(position, 0.0), len(KNOTS) - 1.0)
    low = int(min(position, len(KNOTS) - 2))
    return low, position - low


class CalibratedPredictor(Predictor):
    def __init__(self, inner: Predictor, *, prior: float = 2.0, min_rate: float = 0.02) -> None:
        """Each knot averages the outcomes near it as if it had seen `prior` outcomes at its starting value, then
        keeps moving at `min_rate` at least, so it follows a mixture that keeps learning."""
        super().__init__()
        self.inner = inner
        self.name = getattr(inner, "name", "predictor")
        self.prior = prior
        self.min_rate = min_rate
        self.table = 1.0 / (1.0 + np.exp(-KNOTS))  # hit rate at each knot, starting on the identity
        self._counts = np.zeros(len(KNOTS))
        self._step: tuple[int, float, np.ndarray, int, float] | None = None  # (top, raw p, out, knot, share)

    @property
    def keys(self) -> list[str]:  # the inner predictor's, always current
        return self.inner.keys

    @keys.setter
    def keys(self, value: list[str]) -> None:  # Predictor.__init__ assigns one; the inner predictor's wins
        pass

    def probs(self) -> np.ndarray:
        return self._current()[2]

    def confidence_map(self, p: float) -> float:
        """The calibrated probability for a top guess the inner predictor gives `p`."""
        low, share = _knot_position(p)
        return float((1 - share) * self.table[low] + share * self.table[low + 1])

    def _current(self):
        if self._step is None:
            raw = self.inner.probs()
            if len(raw) == 0:
                self._step = (-1, 0.0, raw, 0, 0.0)
                return self._step
            top = int(np.argmax(raw))
            p = float(raw[top])
            low, share = _knot_position(p)
            calibrated = (1 - share) * self.table[low] + share * self.table[low + 1]
            out = raw
            if len(raw) > 1 and p < 1.0:
                second = float(np.partition(raw, -2)[-2])
                floor = second / (1 - p + second)  # below this another key would overtake the guess shown
                calibrated = min(max(calibrated, floor + 1e-9, 1e-6), 1 - 1e-6)
                out = raw * ((1 - calibrated) / (1 - p))
                out[top] = calibrated
            self._step = (top, p, out, low, share)
        return self._step

    def observe(self, key: str) -> None:
        top, _, _, low, share = self._current()
        if top >= 0:
            hit = 1.0 if self.keys[top] == key else 0.0
            for knot, part in ((low, 1 - share), (low + 1, share)):
                if part > 0:
                    self._counts[knot] += part
                    rate = max(self.min_rate, 1.0 / (self.prior + self._counts[knot]))
                    self.table[knot] += rate * part * (hit - self.table[knot])
        self.inner.observe(key)
        self._step = None

    def warm(self, key: str) -> None:
        """Context before the game: the inner predictor reads it, the confidence map does not learn from it."""
        self.inner.warm(key)
        self._step = None

    def settle(self) -> None:
        self.inner.settle()

    def __getattr__(self, name: str):
        # expert_metrics(), weights() and the like belong to the inner mixture
        inner = self.__dict__.get("inner")
        if inner is None:
            raise AttributeError(name)
        return getattr(inner, name)
