"""The real-players benchmark of the few-key game (benchmarks/bench_oracle_real.py)."""

from __future__ import annotations

import pytest

from benchmarks.bench_oracle_real import hits_of, machine_hits, play_set
from keytui.oracle.baselines import OrderOracle
from keytui.oracle.evaluation import evaluate_players
from keytui.oracle.players import simulate_players


def test_the_real_players_bench_scores_the_machine_as_eval_does_and_ranks_its_rivals(capsys):
    players = [g.presses for g in simulate_players("rps", 4, 60, seed=2)] + ["rps" * 20]
    report, ours = machine_hits(players, "rps")
    assert report == evaluate_players(players, "rps")  # recording the hits changes nothing eval reports
    assert [round(row.mean(), 6) for row in ours] == [p["hit_rate"] for p in report["per_player"]]
    figures = play_set("test", players, "rps", alone=False)
    orders = [figures[f"order {order} from nothing"] for order in range(6)]
    pooled = next(value for label, value in figures.items() if label.startswith("best single order, pooled"))
    assert pooled == max(orders) <= figures["best single order per player"]
    assert figures["order 5 from nothing"] == pytest.approx(figures["Aaronson order-5 (eval's ngram)"], abs=1e-6)
    oracle_hits = sum(hits_of(OrderOracle("rps", 0), p).sum() for p in players)
    assert figures["order 0 from nothing"] == pytest.approx(oracle_hits / sum(map(len, players)))
    assert "machine - best pooled order" in capsys.readouterr().out
