"""The few-key predictor: context trees and recency experts, weighted by a Bayesian vote learned as the game goes.

Experts (each a distribution over the game's keys before every press):
- three context trees of this player's presses (keytui/oracle/trees.py): contexts of keys counting keys and moves,
  contexts of keys counting keys, contexts of moves counting moves. Each weighs every context length 0..depth by
  how it has predicted, so the "order" an order-k oracle must fix in advance is read from the player, from the first
  press.
- two trees shared by every player this machine has seen (they keep their counts from game to game): what earlier
  players, or the same person in earlier games, tended to do. This is Aaronson's suggestion: seed the predictor
  with previous players' data.
- recency experts (keytui/oracle/experts.py): counts that forget, for a player who changes strategy, counts by
  place in a cycle of 3 to 8 presses, for a player who keeps a rhythm through stray presses, and counts of how
  recently the next key was last pressed, for a player who avoids the keys just used.

The votes: each expert's weight is its prior times the likelihood it gave to this player's presses so far,

    trust_i ∝ prior_i · Π_t p_i(x_t),     p(x) = Σ_i trust_i p_i(x)

so the experts that read this player lead within a few dozen presses, and the weights are exactly the posterior of
"which expert is this player". The prior is learned across players: each new player starts from where earlier
players' votes stood on average (the share of trust each expert earned over all their presses). That vote never
forgets, and real people drift (their habit against a bot changes as they learn it), so two more votes hand a
share of their trust back to the prior after every press (fixed share, rates 0.01 and 0.1: an expert that reads
the new habit leads again within tens of presses). A vote of votes weighs the three the same way, by how well
each has predicted this player, from a prior learned across players: a steady player is left to the plain vote
(on the synthetic players, which mostly keep one habit, the figures stay where the plain vote had them), a
drifting one goes to the switching votes (+0.7 pt on the real rock-paper-scissors players held out). Tempering
or fading the evidence (sharpness 2, memory 0.99) lost hit rate on the synthetic players. A guess weighted by each
vote's and expert's recent hits gained 0.6 pt on the half of the real players it was tuned on, 0.2 pt (within
noise) on the other half, and blurred the learned prior over a player's first presses: left out.

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
# The votes' switching rates: after each press a vote hands this share of its trust back to the learned prior, so an
# expert that reads the player's new habit takes over within tens of presses. Rate 0 is the plain Bayesian vote, best
# for a player who keeps one habit (every synthetic kind but the switchers); real players drift (half A of the real
# rock-paper-scissors players: rate 0.1 alone +0.8 pt, but -0.8 pt on synthetic players), so a vote of votes weighs
# the three by how well each has predicted this player, which keeps the synthetic figures and most of the real gain.
SWITCH_RATES = (0.0, 0.01, 0.1)


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
        switch_rates: tuple[float, ...] = SWITCH_RATES,
    ) -> None:
        super().__init__()
        if not switch_rates or any(not 0.0 <= rate < 1.0 for rate in switch_rates):
            raise ValueError(f"switch rates must be in [0, 1), at least one: {switch_rates!r}")
        self.keys = list(keys)
        self._index = {key: i for i, key in enumerate(keys)}
        k = len(keys)
        self._trees = [(name, ContextTree(k, context, estimate)) for name, context, estimate in own_trees]
        self._shared = [(name, ContextTree(k, context, estimate)) for name, context, estimate in shared_trees]
        self.bank = ExpertBank(k, recency_experts() if recency else ())
        self.learned_prior = learned_prior
        self.switch_rates = np.array(switch_rates, dtype=float)
        count = len(self.names)
        self._prior = np.zeros(count)  # log prior over experts: flat for the first player
        self._vote_prior = np.zeros(len(switch_rates))  # log prior over the votes: the same, one level up
        self._trust_sum = np.zeros(count)  # each expert's weight summed over every press of every player so far
        self._vote_trust_sum = np.zeros(len(switch_rates))  # each vote's, likewise
        self._step: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self.presses = 0  # the present player's
        self.players = 0
        self._start_votes()

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self._trees] + [name for name, _ in self._shared] + self.bank.names

    def _start_votes(self) -> None:
        """A new player: every vote, and the vote of votes, starts from its learned prior."""
        self._prior_share = np.exp(self._prior - self._prior.max())
        self._prior_share /= self._prior_share.sum()
        self._trust = np.tile(self._prior_share, (len(self.switch_rates), 1))  # (votes, experts), rows sum to 1
        self._vote_trust = np.exp(self._vote_prior - self._vote_prior.max())
        self._vote_trust /= self._vote_trust.sum()

    def new_player(self) -> None:
        for _, tree in self._trees:
            tree.reset()
        for _, tree in self._shared:
            tree.new_sequence()
        self.bank.new_player()
        if self.learned_prior and self._trust_sum.sum() > 0:
            share = self._trust_sum / self._trust_sum.sum()
            self._prior = np.log(share + PRIOR_FLOOR)
            share = self._vote_trust_sum / self._vote_trust_sum.sum()
            self._vote_prior = np.log(share + PRIOR_FLOOR)
        self._start_votes()
        self._step = None
        self.presses = 0
        self.players += 1

    def weights(self) -> dict[str, float]:
        """Each expert's share of the guess (its trust in each vote, weighted as the vote of votes weighs them)."""
        return dict(zip(self.names, self._current()[1].round(4).tolist(), strict=True))

    def votes(self) -> dict[float, float]:
        """Each vote's share of the guess, by its switching rate."""
        return dict(zip(self.switch_rates.tolist(), self._current()[3].round(4).tolist(), strict=True))

    def experts(self) -> dict[str, np.ndarray]:
        """Each expert's distribution of the next press, over `self.keys`."""
        return dict(zip(self.names, self._current()[0], strict=True))

    def _current(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(experts (E, K), each expert's share of the guess (E,), the guess's distribution (K,), each vote's share
        (V,)), computed once per press."""
        if self._step is None:
            k = len(self.keys)
            rows = [tree.probs() for _, tree in self._trees] + [tree.probs() for _, tree in self._shared]
            experts = np.array(rows)
            if self.bank.specs:
                experts = np.vstack([experts, self.bank.probs()])
            experts = (1 - FLOOR) * experts + FLOOR / k
            overall = self._vote_trust @ self._trust
            self._step = (experts, overall, overall @ experts, self._vote_trust)
        return self._step

    def probs(self) -> np.ndarray:
        return self._current()[2]

    def observe(self, key: str) -> None:
        index = self._index.get(key)
        if index is None:
            return  # not one of the game's keys: not a press
        experts, overall, _, vote_trust = self._current()
        self._trust_sum += overall
        self._vote_trust_sum += vote_trust
        likelihood = experts[:, index]
        # Bayes' rule in the probability domain (the weights are renormalised every press, so nothing overflows;
        # an expert whose weight underflows to zero had lost by more than 700 nats, as exp() would have it anyway)
        posterior = self._trust * likelihood
        given = posterior.sum(axis=1)  # what each vote gave this press
        posterior /= given[:, None]
        self._vote_trust = self._vote_trust * given
        self._vote_trust /= self._vote_trust.sum()
        # fixed share: each vote hands `rate` of its trust back to the prior, so no expert's weight stays near zero
        rates = self.switch_rates[:, None]
        self._trust = (1 - rates) * posterior + rates * self._prior_share
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
