"""The few-key oracle game on SYNTHETIC players of every kind, side by side in one run.

For each kind of player and the first 100, 300 and 1,000 presses: the few-key predictor (players played one after
another on one machine, as `keytui eval --players` plays them), the same predictor learning each player alone (no
prior), Aaronson's order-5 oracle (each player alone), the best single order 0..8 chosen in hindsight for that kind
and horizon, and the exact limit (a guesser that knows each player's hidden state). Over all kinds, also the best
single order chosen in hindsight for all players at once. Each guesser is scored twice on the same presses: by its
EXPECTED hits (the chance each guess was right, read from the player's exact next-press distribution, the way the
limit is scored: the same ranking with far less noise, and a paired interval against order-5) and by the hits
counted, as a player sees them. "random" players are the control: nobody beats 1/k on
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


def guesses_of(predictor, presses: str) -> np.ndarray:
    """The key index `predictor` guessed before each press (it learns each press after guessing it)."""
    index = {key: i for i, key in enumerate(predictor.keys)}
    out = np.empty(len(presses), dtype=int)
    for i, key in enumerate(presses):
        out[i] = index[predictor.guess(1)[0]]
        predictor.observe(key)
    return out


def play_all(keys: str, per_kind: int, presses: int, seed: int) -> tuple[dict, dict, float]:
    """Every guesser on every player. Returns, per kind and guesser, each player's hits and each player's expected
    hits (the chance each guess was right, from the player's exact distribution), and the seconds it took."""
    kinds = tuple(KINDS)
    games = simulate_players(keys, per_kind * len(kinds), presses, seed=seed, kinds=kinds, exact=True)
    hits: dict[str, dict[str, list[np.ndarray]]] = {kind: {} for kind in kinds}
    chances: dict[str, dict[str, list[np.ndarray]]] = {kind: {} for kind in kinds}
    shared = FewKeyPredictor(keys)
    started = time.perf_counter()
    for game in games:
        shared.new_player()
        guessers = {"ours": shared, "ours alone": FewKeyPredictor(keys)}
        guessers.update({f"order-{order}": OrderOracle(keys, order) for order in ORDERS})
        for name, guesser in guessers.items():
            guessed = guesses_of(guesser, game.presses)
            hits[game.kind].setdefault(name, []).append(np.array([keys[g] for g in guessed]) == list(game.presses))
            chances[game.kind].setdefault(name, []).append(game.chances(guessed))
        hits[game.kind].setdefault("limit", []).append(game.best)
        chances[game.kind].setdefault("limit", []).append(game.best)
    return hits, chances, time.perf_counter() - started


def rate(table: dict[str, list[np.ndarray]], name: str, horizon: int) -> float:
    return float(np.mean([player[:horizon].mean() for player in table[name]]))


def paired(table: dict[str, list[np.ndarray]], a: str, b: str, horizon: int) -> tuple[float, float]:
    """Mean over players of a's rate minus b's on the same presses, and twice its standard error."""
    diffs = np.array([x[:horizon].mean() - y[:horizon].mean() for x, y in zip(table[a], table[b], strict=True)])
    return float(diffs.mean()), float(2 * diffs.std(ddof=1) / np.sqrt(len(diffs)))


def expected_table(keys: str, chances: dict, presses: int) -> None:
    """Expected hits per kind: ours against order-5 (with a paired interval), the one order that is best over all
    kinds together, the best order for the kind, and the limit."""
    kinds = list(chances)
    horizons = [h for h in HORIZONS if h <= presses]
    single = {
        h: max(ORDERS, key=lambda order, h=h: np.mean([rate(chances[kind], f"order-{order}", h) for kind in kinds]))
        for h in horizons
    }
    print(
        f"EXPECTED hit rate (the chance each guess was right, from the player's exact distribution: same players and "
        f"presses as the counted hits below, far less noise). keys {keys!r}"
    )
    print(
        f"{'kind':12s} {'presses':>7s}  {'ours':>6s} {'alone':>6s} {'order-5':>7s}  {'ours - order-5':>15s}  "
        f"{'one order':>11s}  {'best for kind':>13s}  {'limit':>6s}"
    )
    above_o5 = below_o5 = above_one = above_best = total = 0
    for kind in kinds:
        table = chances[kind]
        for h in horizons:
            best = max(ORDERS, key=lambda order, h=h, table=table: rate(table, f"order-{order}", h))
            ours, o5 = rate(table, "ours", h), rate(table, "order-5", h)
            diff, margin = paired(table, "ours", "order-5", h)
            one, best_rate = rate(table, f"order-{single[h]}", h), rate(table, f"order-{best}", h)
            control = kind == "random"
            if not control:
                total += 1
                above_o5 += diff - margin > 0
                below_o5 += diff + margin < 0
                above_one += ours > one
                above_best += ours > best_rate
            verdict = "" if diff - margin > 0 else "  tie" if diff + margin >= 0 else "  <"
            verdict = "  (control)" if control else verdict
            print(
                f"{kind:12s} {h:7d}  {ours:6.1%} {rate(table, 'ours alone', h):6.1%} {o5:7.1%}  "
                f"{diff * 100:+6.2f} ±{margin * 100:4.2f} pt  {one:6.1%} (o{single[h]})  {best_rate:7.1%} (o{best})  "
                f"{rate(table, 'limit', h):6.1%}{verdict}"
            )
    print(
        f"of {total} (kind, horizon) cells, the control aside: ours above order-5 beyond twice the standard error in "
        f"{above_o5}, below it so in {below_o5}; above the one order best for all kinds in {above_one}; above the "
        f"best order for each kind in {above_best}"
    )


def counted_table(keys: str, hits: dict, presses: int) -> None:
    """The hits actually counted, as a player sees them, and the best order chosen in hindsight per kind."""
    kinds = list(hits)
    columns = ["ours", "ours alone", "order-5", "best order", "limit"]
    print(f"COUNTED hit rate, keys {keys!r} (limit: expected)")
    print(f"{'kind':12s} {'presses':>7s}  " + "  ".join(f"{c:>14s}" for c in columns) + "  ours - best")
    wins = total = 0
    overall: dict[str, list[float]] = {}
    for kind in kinds:
        table = hits[kind]
        for horizon in (h for h in HORIZONS if h <= presses):
            best_order = max(ORDERS, key=lambda order, h=horizon, t=table: rate(t, f"order-{order}", h))
            figures = {
                "ours": rate(table, "ours", horizon),
                "ours alone": rate(table, "ours alone", horizon),
                "order-5": rate(table, "order-5", horizon),
                "best order": rate(table, f"order-{best_order}", horizon),
                "limit": rate(table, "limit", horizon),
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
                overall.setdefault(f"order-{order}@{horizon}", []).append(rate(table, f"order-{order}", horizon))
    print(
        f"ours above both the order-5 oracle and the best order in hindsight in {wins} of {total} (kind, horizon), "
        "the control aside"
    )
    for horizon in (h for h in HORIZONS if h <= presses):
        means = {c: np.mean(overall[f"{c}@{horizon}"]) for c in columns}
        single = max(ORDERS, key=lambda order: np.mean(overall[f"order-{order}@{horizon}"]))
        means[f"one order for all (o{single})"] = np.mean(overall[f"order-{single}@{horizon}"])
        print(f"all kinds, first {horizon:4d}: " + "  ".join(f"{c} {v:.1%}" for c, v in means.items()))


def compare(keys: str, per_kind: int, presses: int, seed: int) -> None:
    hits, chances, seconds = play_all(keys, per_kind, presses, seed)
    header(
        f"keys {keys!r}: {per_kind * len(hits)} SYNTHETIC players ({per_kind} of each kind, kinds in turn), "
        f"{presses} presses each ({seconds:.0f} s)"
    )
    expected_table(keys, chances, presses)
    print()
    counted_table(keys, hits, presses)


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
            [sys.executable, "-m", "keytui", "--home", folder, "eval", "--players", str(path), "--json"],
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
