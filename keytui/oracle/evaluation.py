"""`keytui eval --players`: players played one after another as on one shared machine, scored press by press.

Each player starts from the first press. The few-key predictor keeps what it learned from earlier players as its
prior; the baselines play each player alone: the order-5 oracle (Aaronson's counts) and the majority guess (the
player's most frequent key so far).
"""

from __future__ import annotations

from collections.abc import Iterable

from keytui.metrics import StreamingMetrics
from keytui.oracle.baselines import OrderOracle
from keytui.oracle.predictor import FewKeyPredictor
from keytui.predictors.base import Predictor

AARONSON_ORDER = 5


def score_press(metrics: StreamingMetrics, predictor: Predictor, key: str) -> bool:
    """Score the guess `predictor` has committed to against `key`, then show it the key. True for a hit."""
    top, probs = predictor.ranked(3)
    metrics.update(key, top, predictor.prob_of(key, probs))
    predictor.observe(key)
    return top[0] == key


def evaluate_players(players: Iterable[str], keys: str, predictor: FewKeyPredictor | None = None) -> dict:
    """Play every player's presses (each a string of `keys`) and report the public JSON shape of
    `keytui eval --players --json`."""
    predictor = predictor or FewKeyPredictor(keys)
    model, ngram, majority = StreamingMetrics(), StreamingMetrics(), StreamingMetrics()
    per_player = []
    for presses in players:
        predictor.new_player()
        oracle, frequent = OrderOracle(keys, AARONSON_ORDER), OrderOracle(keys, 0)
        hits = 0
        for key in presses:
            hits += score_press(model, predictor, key)
            score_press(ngram, oracle, key)
            score_press(majority, frequent, key)
        per_player.append({"n": len(presses), "hit_rate": round(hits / len(presses), 6) if presses else 0.0})
    return {
        "players": len(per_player),
        "n": model.n,
        "keys": keys,
        "model": model.to_json(),
        "baselines": {"ngram": ngram.to_json(), "majority": majority.to_json()},
        "per_player": per_player,
    }
