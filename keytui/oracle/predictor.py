"""The few-key predictor: context trees and recency experts, weighted by a Bayesian vote learned as the game goes.

Experts (each a distribution over the game's keys before every press):
- three context trees of this player's presses (keytui/oracle/trees.py): contexts of keys counting keys and moves,
  contexts of keys counting keys, contexts of moves counting moves. Each weighs every context length 0..depth by
  how it has predicted, so the "order" an order-k oracle must fix in advance is read from the player, from the first
  press.
- two trees shared by every player this machine has seen (they keep their counts from game to game): what earlier
  players, or the same person in earlier games, tended to do. This is Aaronson's suggestion: seed the predictor
  with previous players' data.
- recency experts (keytui/oracle/experts.py): counts that forget, for a player who changes strategy, and counts by
  place in a cycle of 3 to 8 presses, for a player who keeps a rhythm through stray presses.

The vote: each expert's weight is its prior times the likelihood it gave to this player's presses so far,

    trust_i ∝ prior_i · Π_t p_i(x_t),     p(x) = Σ_i trust_i p_i(x)

so the experts that read this player lead within a few dozen presses, and the weights are exactly the posterior of
"which expert is this player". The prior is learned across players: each new player starts from where earlier
players' votes stood on average (the share of trust each expert earned over all their presses). Tempering or fading
the evidence (sharpness 2, memory 0.99), and a second log-domain mixer on top, were measured and lost hit rate
on the synthetic players; the recency experts follow strategy changes instead.

Players are played one after another on one machine: `new_player()` empties the player's own experts and keeps the
shared trees and the learned prior, so what was learned from earlier players is the prior for the next, and the
predictor still adapts to the new player from the first press.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from keytui.oracle.experts import ExpertBank, recency_experts
from keytui.oracle.trees import ContextTree
from keytui.predictors.base import Predictor

FLOOR = 1e-3  # each expert is mixed with this much of the uniform distribution: no key costs an infinite loss
PRIOR_FLOOR = 1e-4  # an expert earlier players never trusted still starts with this share: it can take over
# (name, context, estimate) of each context tree: the player's own, then the ones every player shares
# (a tree of moves that also counts keys read biased players faster but cost run-avoiders and repeaters more)
OWN_TREES = (("tree-keys", "keys", "both"), ("tree-keys-only", "keys", "keys"), ("tree-moves", "moves", "moves"))
SHARED_TREES = (("everyone-keys", "keys", "both"), ("everyone-moves", "moves", "both"))


class FewKeyPredictor(Predictor):
    name = "oracle"

    def __init__(
        self,
        keys: str,
        *,
        learned_prior: bool = True,
        own_trees: tuple[tuple[str, str, str], ...] = OWN_TREES,
        shared_trees: tuple[tuple[str, str, str], ...] = SHARED_TREES,
        recency: bool = True,
    ) -> None:
        super().__init__()
        self.keys = list(keys)
        self._index = {key: i for i, key in enumerate(keys)}
        k = len(keys)
        self._trees = [(name, ContextTree(k, context, estimate)) for name, context, estimate in own_trees]
        self._shared = [(name, ContextTree(k, context, estimate)) for name, context, estimate in shared_trees]
        self.bank = ExpertBank(k, recency_experts() if recency else ())
        self.learned_prior = learned_prior
        count = len(self.names)
        self._prior = np.zeros(count)  # flat for the first player
        self._evidence = self._prior.copy()
        self._trust_sum = np.zeros(count)  # the vote's weights summed over every press of every player so far
        self._step: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.presses = 0  # the present player's
        self.players = 0

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self._trees] + [name for name, _ in self._shared] + self.bank.names

    def new_player(self) -> None:
        for _, tree in self._trees:
            tree.reset()
        for _, tree in self._shared:
            tree.new_sequence()
        self.bank.new_player()
        if self.learned_prior and self._trust_sum.sum() > 0:
            share = self._trust_sum / self._trust_sum.sum()
            self._prior = np.log(share + PRIOR_FLOOR)
        self._evidence = self._prior.copy()
        self._step = None
        self.presses = 0
        self.players += 1

    def weights(self) -> dict[str, float]:
        """Each expert's share of the vote for the next guess."""
        return dict(zip(self.names, self._current()[1].round(4).tolist(), strict=True))

    def experts(self) -> dict[str, np.ndarray]:
        """Each expert's distribution of the next press, over `self.keys`."""
        return dict(zip(self.names, self._current()[0], strict=True))

    def _current(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._step is None:
            k = len(self.keys)
            rows = [tree.probs() for _, tree in self._trees] + [tree.probs() for _, tree in self._shared]
            experts = np.array(rows)
            if self.bank.specs:
                experts = np.vstack([experts, self.bank.probs()])
            experts = (1 - FLOOR) * experts + FLOOR / k
            trust = np.exp(self._evidence - self._evidence.max())
            trust /= trust.sum()
            self._step = (experts, trust, trust @ experts)
        return self._step

    def probs(self) -> np.ndarray:
        return self._current()[2]

    def observe(self, key: str) -> None:
        index = self._index.get(key)
        if index is None:
            return  # not one of the game's keys: not a press
        experts, trust, _ = self._current()
        self._trust_sum += trust
        self._evidence += np.log(experts[:, index])
        for _, tree in self._trees:
            tree.observe(index)
        for _, tree in self._shared:
            tree.observe(index)
        self.bank.observe(index)
        self._step = None
        self.presses += 1

    def absorb(self, games: Iterable[str]) -> int:
        """Count earlier players' games into the shared trees only (fast: no vote, no guesses). Returns how many
        presses were absorbed. The present player is unchanged."""
        absorbed = 0
        for game in games:
            for _, tree in self._shared:
                tree.new_sequence()
            for key in game:
                index = self._index.get(key)
                if index is not None:
                    for _, tree in self._shared:
                        tree.observe(index)
                    absorbed += 1
        for _, tree in self._shared:
            tree.new_sequence()
        self._step = None
        return absorbed

    def replay(self, games: Iterable[str]) -> None:
        """Play earlier games through the whole predictor, unscored: the shared trees and the learned prior learn
        from them as if they had been played here. Leaves the predictor ready for a new player."""
        for game in games:
            self.new_player()
            for key in game:
                self.observe(key)
        self.new_player()
