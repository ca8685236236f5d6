"""`keytui eval --players`: players played one after another as on one shared machine, scored press by press.

Each player starts from the first press. The few-key predictor keeps what it learned from earlier players as its
prior; the baselines play each player alone: the order-5 oracle (Aaronson's counts) and the majority guess (the
player's most frequent key so far).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from keytui.data.metrics import StreamingMetrics
from keytui.oracle.baselines import OrderOracle
from keytui.oracle.predictor import FewKeyPredictor
from keytui.predictors.base import Predictor

AARONSON_ORDER = 5
PROGRESS_EVERY = 2_000  # presses between progress reports: about half a second of scoring


def score_press(metrics: StreamingMetrics, predictor: Predictor, key: str) -> bool:
    """Score the guess `predictor` has committed to against `key`, then show it the key. True for a hit."""
    top, probs = predictor.ranked(3)
    metrics.update(key, top, predictor.prob_of(key, probs))
    predictor.observe(key)
    return top[0] == key


def evaluate_players(
    players: Iterable[str],
    keys: str,
    predictor: FewKeyPredictor | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    every: int = PROGRESS_EVERY,
) -> dict:
    """Play every player's presses (each a string of `keys`) and report the public JSON shape of
    `keytui eval --players --json`. `progress`, if given, hears how many presses are scored every `every`
    presses (a file of a million presses takes minutes: the command shows it moving)."""
    predictor = predictor or FewKeyPredictor(keys)
    model, ngram, majority = StreamingMetrics(), StreamingMetrics(), StreamingMetrics()
    per_player = []
    scored = 0
    for presses in players:
        predictor.new_player()
        oracle, frequent = OrderOracle(keys, AARONSON_ORDER), OrderOracle(keys, 0)
        hits = 0
        for key in presses:
            hits += score_press(model, predictor, key)
            score_press(ngram, oracle, key)
            score_press(majority, frequent, key)
            scored += 1
            if progress is not None and scored % every == 0:
                progress(scored)
        per_player.append({"n": len(presses), "hit_rate": round(hits / len(presses), 6) if presses else 0.0})
    return {
        "players": len(per_player),
        "n": model.n,
        "keys": keys,
        "model": model.to_json(),
        "baselines": {"ngram": ngram.to_json(), "majority": majority.to_json()},
        "per_player": per_player,
    }
