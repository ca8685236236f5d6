"""The few-key oracle game on REAL players' files, through `keytui eval --players`'s own code path.

Each file holds one player's presses per line (the shared real rock-paper-scissors players by default). The players
are split into two halves by line (odd lines: half A, where the predictor's settings were chosen; even lines: half
B, only reported), and each half, then the whole file, is played as `keytui eval --players` plays it: one machine,
players one after another, keeping what earlier players taught it. Beside the machine, each on the same presses:

- Aaronson's order-5 oracle and the majority guess (the baselines `eval --players` itself reports);
- each single order 0..5 learning every player from nothing (order 0 is the majority guess);
- the best single order chosen in hindsight for the whole set of players at once ("pooled"), and chosen for each
  player on their own presses ("per player": a rival that knows afterwards which order suited whom);
- the machine's margin over the pooled best order, as the mean over players of the paired difference ± 2 SE;
- the machine by the players' place in the order they were played (the first players have no earlier players to
  learn from) and by the press's place within a player's game.

    python -m benchmarks.bench_oracle_real [FILE ...] [--keys rps] [--alone]

`--alone` also plays the machine on each player alone (a fresh predictor per player): what earlier players add.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, header
from keytui.errors import KeytuiError
from keytui.oracle.baselines import OrderOracle
from keytui.oracle.evaluation import evaluate_players
from keytui.oracle.players_file import iter_players, scan_players
from keytui.oracle.predictor import FewKeyPredictor

REAL_RPS = ROOT.parent.parent / "shared" / "data" / "real" / "brockbank_rps_v2.txt"
if not REAL_RPS.exists():  # the lead's checkout sits one level higher than a helper's worktree
    REAL_RPS = ROOT.parent / "shared" / "data" / "real" / "brockbank_rps_v2.txt"
ORDERS = range(0, 6)
PLACES = ((0, 10), (10, 50), (50, None))  # players by their place in the order played
PRESS_SPANS = ((0, 30), (30, 100), (100, None))  # presses by their place within a player's game


def hits_of(predictor, presses: str) -> np.ndarray:
    """Whether `predictor`'s first guess before each press was that press (it learns each press after guessing)."""
    out = np.empty(len(presses), dtype=bool)
    for i, key in enumerate(presses):
        out[i] = predictor.guess(1)[0] == key
        predictor.observe(key)
    return out


def machine_hits(players: list[str], keys: str) -> tuple[dict, list[np.ndarray]]:
    """`eval --players`'s report for `players` played one after another, and each player's press-by-press hits of
    the machine (read from the same predictor, which evaluate_players plays)."""
    recorded: list[list[bool]] = []

    class Recording(FewKeyPredictor):
        """The predictor eval plays, noting whether each first guess hit, so the per-press figures are eval's own."""

        def new_player(self) -> None:
            super().new_player()
            recorded.append([])

        def observe(self, key: str) -> None:
            if key in self._index:
                recorded[-1].append(self.guess(1)[0] == key)
            super().observe(key)

    report = evaluate_players(players, keys, Recording(keys))
    return report, [np.array(row, dtype=bool) for row in recorded]


def pooled(rows: list[np.ndarray]) -> float:
    return float(np.concatenate(rows).mean()) if rows else 0.0


def rates(rows: list[np.ndarray]) -> np.ndarray:
    return np.array([row.mean() for row in rows])


def play_set(name: str, players: list[str], keys: str, alone: bool) -> dict[str, float]:
    """Every guesser on `players`; prints the table and returns the pooled figures by name."""
    started = time.perf_counter()
    report, ours = machine_hits(players, keys)
    orders = {order: [hits_of(OrderOracle(keys, order), presses) for presses in players] for order in ORDERS}
    seconds = time.perf_counter() - started
    n = sum(len(presses) for presses in players)
    header(f"{name}: {len(players)} players, {n:,} presses of {keys!r}, played one after another ({seconds:.0f} s)")
    figures = {"machine (eval --players)": report["model"]["hit_rate"]}
    if alone:
        figures["machine, each player alone"] = pooled([hits_of(FewKeyPredictor(keys), p) for p in players])
    figures["Aaronson order-5 (eval's ngram)"] = report["baselines"]["ngram"]["hit_rate"]
    figures["majority (eval's majority)"] = report["baselines"]["majority"]["hit_rate"]
    for order in ORDERS:
        figures[f"order {order} from nothing"] = pooled(orders[order])
    best = max(ORDERS, key=lambda order: pooled(orders[order]))
    figures[f"best single order, pooled (o{best})"] = pooled(orders[best])
    per_player = np.array([[row.sum() for row in orders[order]] for order in ORDERS]).max(axis=0)
    figures["best single order per player"] = float(per_player.sum() / n)
    for label, value in figures.items():
        print(f"  {label:36s} {value:7.2%}")
    diff = rates(ours) - rates(orders[best])
    margin = 2 * diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan")
    print(
        f"  machine - best pooled order (o{best}), mean over players: {diff.mean() * 100:+.2f} ± {margin * 100:.2f} "
        f"pt; machine ahead on {int((diff > 0).sum())}, behind on {int((diff < 0).sum())} of {len(diff)} players"
    )
    cells = []
    for start, stop in PLACES:
        if start >= len(players):
            break
        span = slice(start, stop)
        label = f"players {start + 1}-{min(stop or len(players), len(players))}"
        cells.append(f"{label}: {pooled(ours[span]):.1%} vs o{best} {pooled(orders[best][span]):.1%}")
    print("  by place in the order played:  " + "   ".join(cells))
    cells = []
    for start, stop in PRESS_SPANS:
        label = f"presses {start + 1}-{stop or 'end'}"
        mine = [row[start:stop] for row in ours if len(row) > start]
        theirs = [row[start:stop] for row in orders[best] if len(row) > start]
        if mine:
            cells.append(f"{label}: {pooled(mine):.1%} vs o{best} {pooled(theirs):.1%}")
    print("  by place in a player's game:   " + "   ".join(cells))
    return figures


def bench_file(path: Path, keys: str | None, alone: bool) -> None:
    source = scan_players(path, keys)
    players = list(iter_players(source))
    header(f"{path.name}: REAL players, keys {source.keys!r}; settings were chosen on half A (odd lines) only")
    play_set("half A (odd lines: settings chosen here)", players[0::2], source.keys, alone)
    play_set("half B (even lines: held out)", players[1::2], source.keys, alone)
    play_set("all players, in the file's order", players, source.keys, alone)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help=f"players files (default: {REAL_RPS})")
    parser.add_argument("--keys", help="the game's keys (default: each file's distinct characters)")
    parser.add_argument("--alone", action="store_true", help="also play the machine on each player alone")
    args = parser.parse_args()
    for path in args.files or [REAL_RPS]:
        try:
            bench_file(path, args.keys, args.alone)
        except KeytuiError as error:  # a missing or unreadable file: one line, as eval --players says it
            sys.exit(f"bench_oracle_real: {error}")


if __name__ == "__main__":
    main()
