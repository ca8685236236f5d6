"""The few-key predictor: the experts of keytui/oracle/experts.py, combined in two layers learned online.

1. Per player, a Bayesian vote: each expert's weight is exp(sharpness x its log-likelihood of this player's
   presses), the evidence fading by `bayes_memory` per press (about the last 100 presses count), so within a few
   dozen presses the experts that read this player lead, and a player who changes strategy is followed. Each new
   player starts from where earlier players' votes stood on average (the experts that usually read people, the
   shared ones among them, lead at first). This is what picks the right context length for each player (the
   "best order" an order-k oracle has to fix in advance).
2. The experts and that vote mixed in the log domain, weights learned across players by the log-loss gradient
   (slowly: on the synthetic players a faster rate cost hit rate, the vote does the per-player work):

    p(x) = exp(sum_i w_i log p_i(x)) / Z,   after key y:  w_i += lr * g_i / rms(g_i),  g_i = log p_i(y) - E_p[log p_i]

   the same geometric mixing and gradient as the full-keyboard game's mixer (keytui/predictors/mixer.py), computed
   for all experts at once (that mixer calls each expert object in turn: 1.4 ms a press with 40 constant
   experts on the loaded development machine, against 0.2 ms for this whole predictor).
   A weight set is chosen by how far into the present player's game we are (first presses, a few dozen, a few
   hundred, more), since which experts to trust changes as the player's own counts fill up.

Players are played one after another on one machine: `new_player()` empties the player's own tables and keeps the
shared ones and the mixer's weights, so what was learned from earlier players is the prior for the next, and the
predictor still adapts to the new player from the first press.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from keytui.oracle.experts import ExpertBank, ExpertSpec, default_experts
from keytui.predictors.base import Predictor

STAGES = np.array([8, 40, 150, 600])  # the present player's presses at which the next weight set takes over
FLOOR = 1e-3  # each expert is mixed with this much of the uniform distribution: no key costs an infinite loss


class FewKeyPredictor(Predictor):
    name = "oracle"

    def __init__(
        self,
        keys: str,
        *,
        experts: tuple[ExpertSpec, ...] | None = None,
        learning_rate: float = 0.0005,
        initial_weight: float = 0.005,
        bayes_weight: float = 1.0,
        bayes_memory: float = 0.99,
        bayes_sharpness: float = 2.0,
        learned_prior: bool = True,
    ) -> None:
        super().__init__()
        self.keys = list(keys)
        self._index = {key: i for i, key in enumerate(keys)}
        self.bank = ExpertBank(len(keys), experts or default_experts())
        count = len(self.bank.names)
        self.learning_rate = learning_rate
        self.bayes_memory = bayes_memory
        # Each expert's log-likelihood of this player's presses, fading, from a prior: flat for the first player,
        # then (with `learned_prior`) where earlier players' votes stood on average.
        self._prior = np.zeros(count)
        self._evidence = self._prior.copy()
        self.learned_prior = learned_prior
        self._trust_sum = np.zeros(count)  # the vote's weights summed over every press of every player so far
        start = np.full(count + 1, initial_weight)
        start[-1] = bayes_weight
        self._weights = np.tile(start, (len(STAGES) + 1, 1))
        self._square = np.ones((len(STAGES) + 1, count + 1))
        self.bayes_sharpness = bayes_sharpness
        self._step: tuple[int, np.ndarray, np.ndarray] | None = None
        self.players = 0

    @property
    def names(self) -> list[str]:
        return [*self.bank.names, "bayes"]

    def new_player(self) -> None:
        self.bank.new_player()
        if self.learned_prior and self._trust_sum.sum() > 0:
            # start where earlier players' votes ended up on average: the experts that usually read people lead
            share = self._trust_sum / self._trust_sum.sum()
            self._prior = np.log(share + 1e-3) / self.bayes_sharpness
        self._evidence[:] = self._prior
        self._step = None
        self.players += 1

    def weights(self) -> dict[str, float]:
        """Each expert's weight in the set the next guess uses."""
        return dict(zip(self.names, self._weights[self._stage()].round(4).tolist(), strict=True))

    def _stage(self) -> int:
        return int(np.searchsorted(STAGES, self.bank.presses, side="right"))

    def _current(self) -> tuple[int, np.ndarray, np.ndarray]:
        if self._step is None:
            k = len(self.keys)
            experts = self.bank.probs()
            trust = np.exp(self.bayes_sharpness * (self._evidence - self._evidence.max()))
            trust /= trust.sum()
            self._trust = trust
            bayes = trust @ experts
            log_probs = np.log((1 - FLOOR) * np.vstack([experts, bayes]) + FLOOR / k)
            stage = self._stage()
            mixed = self._weights[stage] @ log_probs
            mixed = np.exp(mixed - mixed.max())
            self._step = (stage, log_probs, mixed / mixed.sum())
        return self._step

    def probs(self) -> np.ndarray:
        return self._current()[2]

    def observe(self, key: str) -> None:
        index = self._index.get(key)
        if index is None:
            return  # not one of the game's keys: not a press
        stage, log_probs, mixed = self._current()
        gradient = log_probs[:, index] - log_probs @ mixed  # ascent direction of log p(key)
        square = self._square[stage]
        square *= 0.99
        square += 0.01 * gradient**2
        step = gradient / (np.sqrt(square) + 1e-3)
        self._weights[stage] += self.learning_rate * step
        self._trust_sum += self._trust
        self._evidence *= self.bayes_memory
        self._evidence += log_probs[:-1, index]
        self.bank.observe(index)
        self._step = None

    def absorb(self, games: Iterable[str]) -> int:
        """Count earlier players' games into the shared experts only (fast: no mixing, no guesses). Returns how many
        presses were absorbed. The present player is unchanged."""
        absorbed = 0
        for game in games:
            self.bank.new_player()
            for key in game:
                index = self._index.get(key)
                if index is not None:
                    self.bank.observe(index, shared_only=True)
                    absorbed += 1
        self.bank.new_player()
        self._step = None
        return absorbed

    def replay(self, games: Iterable[str]) -> None:
        """Play earlier games through the whole predictor, unscored: the shared experts and the mixer's weights
        learn from them as if they had been played here. Leaves the predictor ready for a new player."""
        for game in games:
            self.new_player()
            for key in game:
                self.probs()
                self.observe(key)
        self.new_player()
