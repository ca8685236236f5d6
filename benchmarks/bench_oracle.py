"""The few-key oracle game on SYNTHETIC players of every kind, side by side in one run.

For each kind of player and the first 100, 300 and 1,000 presses: the few-key predictor (players played one after
another on one machine, as `keytui eval --players` plays them), the same predictor learning each player alone (no
prior), Aaronson's order-5 oracle (each player alone), the best single order 0..8 chosen in hindsight for that kind
and horizon, and the exact limit (a guesser that knows each player's hidden state). Over all kinds, also the best
single order chosen in hindsight for all players at once. "random" players are the control: nobody beats 1/k on
them in expectation, so the best order in hindsight there is only the luckiest of nine. Then the guess latency
after a press, and `keytui eval --players` on 50,000 presses, wall time.

    python -m benchmarks.bench_oracle [--keys fd] [--per-kind 16] [--presses 1000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, header, percentile
from keytui.oracle.baselines import OrderOracle
from keytui.oracle.players import KINDS, simulate_players
from keytui.oracle.predictor import FewKeyPredictor

HORIZONS = (100, 300, 1000)
ORDERS = range(0, 9)


def hits_of(predictor, presses: str) -> np.ndarray:
    out = np.empty(len(presses), dtype=bool)
    for i, key in enumerate(presses):
        out[i] = predictor.guess(1)[0] == key
        predictor.observe(key)
    return out


def compare(keys: str, per_kind: int, presses: int, seed: int) -> None:
    kinds = tuple(KINDS)
    games = simulate_players(keys, per_kind * len(kinds), presses, seed=seed, kinds=kinds)
    shared = FewKeyPredictor(keys)
    rows: dict[str, dict[str, list[np.ndarray]]] = {kind: {} for kind in kinds}
    started = time.perf_counter()
    for game in games:
        table = rows[game.kind]
        shared.new_player()
        table.setdefault("ours", []).append(hits_of(shared, game.presses))
        table.setdefault("ours alone", []).append(hits_of(FewKeyPredictor(keys), game.presses))
        for order in ORDERS:
            table.setdefault(f"order-{order}", []).append(hits_of(OrderOracle(keys, order), game.presses))
        table.setdefault("limit", []).append(game.best)
    seconds = time.perf_counter() - started
    header(
        f"keys {keys!r}: {len(games)} SYNTHETIC players ({per_kind} of each kind, kinds in turn), "
        f"{presses} presses each ({seconds:.0f} s)"
    )
    columns = ["ours", "ours alone", "order-5", "best order", "limit"]
    print(f"{'kind':12s} {'presses':>7s}  " + "  ".join(f"{c:>14s}" for c in columns) + "  ours - best")
    wins = total = 0
    overall: dict[str, list[float]] = {}
    for kind in kinds:
        table = rows[kind]
        for horizon in (h for h in HORIZONS if h <= presses):

            def rate(name: str, horizon: int = horizon, table: dict = table) -> float:
                return float(np.mean([hits[:horizon].mean() for hits in table[name]]))

            best_order = max(ORDERS, key=lambda order: rate(f"order-{order}"))
            figures = {
                "ours": rate("ours"),
                "ours alone": rate("ours alone"),
                "order-5": rate("order-5"),
                "best order": rate(f"order-{best_order}"),
                "limit": rate("limit"),
            }
            margin = figures["ours"] - figures["best order"]
            beats = figures["ours"] > figures["order-5"] and margin > 0
            control = kind == "random"
            wins += beats and not control
            total += not control
            cells = [f"{figures[c]:14.1%}" for c in columns]
            cells[3] = f"{figures['best order']:8.1%} (o{best_order})"
            mark = "  (control)" if control else "" if beats else "  <"
            print(f"{kind:12s} {horizon:7d}  " + "  ".join(cells) + f"  {margin * 100:+5.1f} pt{mark}")
            for name, value in figures.items():
                overall.setdefault(f"{name}@{horizon}", []).append(value)
            for order in ORDERS:
                overall.setdefault(f"order-{order}@{horizon}", []).append(rate(f"order-{order}"))
    print(
        f"ours above both the order-5 oracle and the best order in hindsight in {wins} of {total} (kind, horizon), "
        "the control aside"
    )
    for horizon in (h for h in HORIZONS if h <= presses):
        means = {c: np.mean(overall[f"{c}@{horizon}"]) for c in columns}
        single = max(ORDERS, key=lambda order: np.mean(overall[f"order-{order}@{horizon}"]))
        means[f"one order for all (o{single})"] = np.mean(overall[f"order-{single}@{horizon}"])
        print(f"all kinds, first {horizon:4d}: " + "  ".join(f"{c} {v:.1%}" for c, v in means.items()))


def latency(keys: str, seed: int) -> None:
    header(f"guess latency after a press, keys {keys!r} (one predictor over 20 SYNTHETIC players, 500 presses each)")
    predictor = FewKeyPredictor(keys)
    wall, cpu = [], []
    for game in simulate_players(keys, 20, 500, seed=seed + 1):
        predictor.new_player()
        for key in game.presses:
            started, started_cpu = time.perf_counter(), time.thread_time()
            predictor.observe(key)
            predictor.ranked(3)
            cpu.append((time.thread_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
    load = os.getloadavg()[0]
    for name, ms in (("wall clock", wall), ("this thread's CPU time", cpu)):
        print(
            f"{len(ms)} presses, {name}: p50 {percentile(ms, 50):.3f} ms  p99 {percentile(ms, 99):.3f} ms  "
            f"max {max(ms):.2f} ms"
        )
    print(
        f"({len(predictor.names)} experts; load average {load:.1f} on {os.cpu_count()} cores: wall-clock tails "
        "include other processes' time slices, CPU time does not)"
    )


def eval_wall_time(keys: str, seed: int) -> None:
    header("keytui eval --players on 50,000 presses (100 SYNTHETIC players x 500), wall time of the command")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "players.txt"
        games = simulate_players(keys, 100, 500, seed=seed + 2)
        path.write_text("".join(game.presses + "\n" for game in games))
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "keytui.cli", "--home", folder, "eval", "--players", str(path), "--json"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        seconds = time.perf_counter() - started
    if result.returncode:
        print(f"failed: {result.stderr.strip()}")
        return
    print(f"{seconds:.1f} s for 50,000 presses (model, order-5 and majority each scored on every press)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", action="append", help="key sets to compare (default: fd and rps)")
    parser.add_argument("--per-kind", type=int, default=16)
    parser.add_argument("--presses", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-timing", action="store_true")
    args = parser.parse_args()
    for keys in args.keys or ["fd", "rps"]:
        compare(keys, args.per_kind, args.presses, args.seed)
    if not args.skip_timing:
        latency("fd", args.seed)
        eval_wall_time("fd", args.seed)


if __name__ == "__main__":
    main()
