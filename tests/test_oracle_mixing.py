"""The few-key predictor's recency-rank experts, its switching votes and vote of votes, and the real-players
benchmark that measures them (benchmarks/bench_oracle_real.py)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.bench_oracle_real import hits_of, machine_hits, play_set
from keytui.oracle.baselines import OrderOracle
from keytui.oracle.evaluation import evaluate_players
from keytui.oracle.experts import ExpertBank, ExpertSpec
from keytui.oracle.players import simulate_players
from keytui.oracle.predictor import FewKeyPredictor


def test_a_recency_expert_counts_how_recently_the_next_key_was_last_pressed():
    # a b c d, four times, then a b c: every press is the key pressed longest ago, so d comes next, the key pressed
    # least often (how often each key was pressed says the opposite)
    bank = ExpertBank(4, (ExpertSpec("recency-0", "recency", 0), ExpertSpec("keys-0", "keys", 0)))
    for key in [0, 1, 2, 3] * 4 + [0, 1, 2]:
        bank.observe(key)
    recency, counts = bank.probs()
    assert int(np.argmax(recency)) == 3 and recency[3] > 0.7
    assert int(np.argmin(counts)) == 3
    bank.observe(3)  # d: now a is the key pressed longest ago, and the same counts of ranks point at it
    assert int(np.argmax(bank.probs()[0])) == 0


def test_a_switching_vote_never_lets_an_expert_fall_below_its_share_of_the_prior():
    switching = FewKeyPredictor("fd", switch_rates=(0.1,))
    plain = FewKeyPredictor("fd", switch_rates=(0.0,))
    for key in "fd" * 50:  # most experts read an alternator at once, the phase experts of odd cycles never do
        switching.observe(key)
        plain.observe(key)
    floor = 0.1 / len(switching.names)  # the first player's prior is flat
    assert min(switching.weights().values()) >= floor - 1e-4
    assert min(plain.weights().values()) < floor / 10


def test_the_vote_of_votes_trusts_the_plain_vote_on_a_steady_player_and_a_switching_one_on_a_drifting_player():
    steady = FewKeyPredictor("fd")
    for key in "fd" * 150:
        steady.observe(key)
    drifting = FewKeyPredictor("fd")
    for key in ("fd" * 20 + "f" * 20 + "ffd" * 20 + "d" * 30 + "fdd" * 15) * 2:
        drifting.observe(key)
    assert set(steady.votes()) == {0.0, 0.01, 0.1}
    assert steady.votes()[0.0] > 0.5 > drifting.votes()[0.0]
    assert sum(drifting.votes().values()) == pytest.approx(1.0, abs=1e-3)


def test_the_vote_of_votes_starts_each_player_from_where_earlier_players_left_it():
    predictor = FewKeyPredictor("fd")
    assert list(predictor.votes().values()) == pytest.approx([1 / 3] * 3, abs=1e-3)  # nobody played yet: even
    for _ in range(3):
        predictor.new_player()
        for key in "fd" * 100:  # steady players: the plain vote earns the trust
            predictor.observe(key)
    predictor.new_player()
    assert predictor.votes()[0.0] > 0.5
    fresh = FewKeyPredictor("fd", learned_prior=False)
    for _ in range(3):
        fresh.new_player()
        for key in "fd" * 100:
            fresh.observe(key)
    fresh.new_player()
    assert list(fresh.votes().values()) == pytest.approx([1 / 3] * 3, abs=1e-3)


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
