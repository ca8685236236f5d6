"""How much room is there above the best order chosen in hindsight? A bound for three kinds of synthetic player.

`bench_oracle` compares the few-key predictor with Aaronson's order-5 oracle and with the best single order chosen
in hindsight for each kind, and its `limit` knows each player's hidden state and parameters. Neither says how well a
guesser could do that knows only the KIND of player, as the best order per kind does in effect: no guesser that
must also learn the kind can beat such a guesser in expectation on that kind.

This benchmark computes that guesser exactly (or on a fine grid) for kinds whose parameters are few, from the
simulator's own priors (keytui/oracle/players.py), and scores it, the orders 0, 1, 3, 5 and the predictor playing
each player alone (no earlier players) by expected hits on the same presses:

- biased: which key is the favourite, how strongly (uniform over the simulator's range), how the rest is split
  (Dirichlet(3), the simulator's); a grid of hypotheses, updated by Bayes' rule press by press;
- repeater: how often it repeats (uniform over the simulator's range); a grid;
- habit: order 2 or 3 (even odds), each context's next-key distribution Dirichlet(0.6): exact posterior predictive
  counts, and the two orders weighed by how well each predicted (their marginal likelihoods).

`python -m benchmarks.bench_oracle_bound [--players 100] [--presses 1000] [--keys fd --keys rps]`
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.bench_oracle import HORIZONS, guesses_of, paired, rate
from keytui.oracle.baselines import OrderOracle
from keytui.oracle.players import SimulatedGame, simulate_players
from keytui.oracle.predictor import FewKeyPredictor

GRID = 41  # points per continuous parameter


def _grid(low: float, high: float) -> np.ndarray:
    """Midpoints of GRID equal cells of [low, high]: a uniform prior over the range."""
    edges = np.linspace(low, high, GRID + 1)
    return (edges[:-1] + edges[1:]) / 2


class GridBayes:
    """A Bayes-optimal guesser over a finite set of hypotheses, each a function of the last key (or None) to the
    next key's distribution. `tables[h, last + 1]` is hypothesis h's distribution after `last` (row 0: first press)."""

    def __init__(self, tables: np.ndarray, prior: np.ndarray) -> None:
        self.tables = tables
        self.log_prior = np.log(prior / prior.sum())

    def guesses(self, presses: list[int]) -> np.ndarray:
        log_post = self.log_prior.copy()
        last = -1
        out = np.empty(len(presses), dtype=np.int64)
        for i, key in enumerate(presses):
            rows = self.tables[:, last + 1]
            post = np.exp(log_post - log_post.max())
            out[i] = int(np.argmax(post @ rows))
            log_post += np.log(rows[:, key])
            last = key
        return out


def biased_bayes(k: int) -> GridBayes:
    """Every (favourite, lean, split of the rest) on a grid, weighted by the simulator's prior."""
    low, high = (0.58, 0.72) if k == 2 else (0.3, 0.5)
    if k > 3:
        raise ValueError("the biased bound is computed for 2 or 3 keys")
    splits = [(np.array([1.0]), 1.0)] if k == 2 else [(np.array([s, 1 - s]), s**2 * (1 - s) ** 2) for s in _grid(0, 1)]
    rows, prior = [], []
    for favourite in range(k):
        for lean in _grid(low, high):
            for split, weight in splits:
                row = np.insert(split * (1 - lean), favourite, lean)
                rows.append(np.tile(row, (k + 1, 1)))  # independent of the last key
                prior.append(weight)
    return GridBayes(np.array(rows), np.array(prior))


def repeater_bayes(k: int) -> GridBayes:
    low, high = (0.62, 0.8) if k == 2 else (0.4, 0.65)
    tables = []
    for stay in _grid(low, high):
        table = np.empty((k + 1, k))
        table[0] = 1.0 / k
        for last in range(k):
            table[last + 1] = (1 - stay) / (k - 1)
            table[last + 1, last] = stay
        tables.append(table)
    return GridBayes(np.array(tables), np.ones(len(tables)))


def habit_guesses(presses: list[int], k: int, concentration: float = 0.6) -> np.ndarray:
    """Exact Bayes for a habit of order 2 or 3: Dirichlet posterior predictive counts per order, mixed by evidence."""
    counts = {order: {} for order in (2, 3)}
    log_evidence = {2: np.log(0.5), 3: np.log(0.5)}
    out = np.empty(len(presses), dtype=np.int64)
    for i, key in enumerate(presses):
        predictive = {}
        for order in (2, 3):
            if i < order:
                predictive[order] = np.full(k, 1.0 / k)
            else:
                row = counts[order].get(tuple(presses[i - order : i]), np.zeros(k))
                predictive[order] = (row + concentration) / (row.sum() + k * concentration)
        top = max(log_evidence.values())
        weights = {order: np.exp(log_evidence[order] - top) for order in (2, 3)}
        mix = sum(weights[order] * predictive[order] for order in (2, 3))
        out[i] = int(np.argmax(mix))
        for order in (2, 3):
            log_evidence[order] += np.log(predictive[order][key])
            if i >= order:
                row = counts[order].setdefault(tuple(presses[i - order : i]), np.zeros(k))
                row[key] += 1
    return out


def run(keys: str, kind: str, players: int, presses: int, seed: int) -> None:
    k = len(keys)
    games: list[SimulatedGame] = simulate_players(keys, players, presses, seed, kinds=(kind,), exact=True)
    index = {key: i for i, key in enumerate(keys)}
    scores: dict[str, list[np.ndarray]] = {}
    bayes = {"biased": biased_bayes, "repeater": repeater_bayes}.get(kind)
    bayes = bayes(k) if bayes else None
    for game in games:
        presses_i = [index[key] for key in game.presses]
        guesses = bayes.guesses(presses_i) if bayes else habit_guesses(presses_i, k)
        scores.setdefault("kind-aware Bayes", []).append(game.chances(guesses))
        for order in (0, 1, 3, 5):
            chances = game.chances(guesses_of(OrderOracle(keys, order), game.presses))
            scores.setdefault(f"order-{order}", []).append(chances)
        alone = FewKeyPredictor(keys)
        alone.new_player()
        scores.setdefault("ours alone", []).append(game.chances(guesses_of(alone, game.presses)))
        scores.setdefault("limit", []).append(game.best)
    names = list(scores)
    print(f"{kind:10s} presses " + " ".join(f"{name:>17s}" for name in names) + "   Bayes - best order")
    for horizon in (h for h in HORIZONS if h <= presses):
        best = max((n for n in names if n.startswith("order-")), key=lambda n: rate(scores, n, horizon))
        gap, margin = paired(scores, "kind-aware Bayes", best, horizon)
        cells = " ".join(f"{rate(scores, name, horizon) * 100:16.2f}%" for name in names)
        print(f"{'':10s} {horizon:7d} {cells}   {gap * 100:+.2f} ±{margin * 100:.2f} pt vs {best}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", action="append", help="key sets (2 or 3 keys; default: fd and rps)")
    parser.add_argument("--players", type=int, default=100, help="players of each kind")
    parser.add_argument("--presses", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for keys in args.keys or ["fd", "rps"]:
        started = time.perf_counter()
        print(f"\n== keys {keys!r}: {args.players} SYNTHETIC players a kind, {args.presses} presses, expected hits")
        for kind in ("biased", "repeater", "habit"):
            run(keys, kind, args.players, args.presses, args.seed)
        print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
