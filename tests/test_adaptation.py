"""Adaptation settings: chosen on validation keys when training ends, saved in the checkpoint, used in play."""

import pytest

from keytui import adaptation
from keytui.adaptation import CANDIDATES, Adaptation, choose_adaptation, model_predictor
from keytui.checkpoint import load_checkpoint
from keytui.predictors import NeuralPredictor, replay
from keytui.training import split_text


def test_training_saves_the_choice_and_play_uses_it(tiny_checkpoint):
    checkpoint = load_checkpoint(tiny_checkpoint)
    saved = checkpoint.meta["adaptation"]
    assert (saved["adapt_lr"], saved["cache_lambda"]) in CANDIDATES
    assert 0 <= saved["hit_rate"] <= 1
    predictor = model_predictor(checkpoint, adaptive=True)
    assert (predictor.adapt_lr, predictor.cache_lambda) == (saved["adapt_lr"], saved["cache_lambda"])
    assert model_predictor(checkpoint, adaptive=False).adaptive is False


def test_the_choice_is_the_best_candidate_on_the_validation_keys(tiny_checkpoint, small_text, monkeypatch):
    checkpoint = load_checkpoint(tiny_checkpoint)
    parts = split_text(small_text)
    candidates = [(0.0, 0.0), (0.01, 0.5)]
    monkeypatch.setattr(adaptation, "CANDIDATES", candidates)
    chosen = choose_adaptation(checkpoint.model, checkpoint.vocab, parts.train, parts.val)
    rates = []
    for adapt_lr, cache_lambda in candidates:
        fresh = load_checkpoint(tiny_checkpoint)
        predictor = NeuralPredictor(
            fresh.model, fresh.vocab, adaptive=True, adapt_lr=adapt_lr, cache_lambda=cache_lambda
        )
        rates.append(replay(predictor, parts.val, warmup=parts.train[-256:]).hit_rate)
    best = max(range(len(rates)), key=lambda i: (rates[i], -i))
    assert (chosen.adapt_lr, chosen.cache_lambda) == candidates[best]
    assert chosen.hit_rate == pytest.approx(rates[best], abs=1e-6)


@pytest.mark.parametrize(
    "saved",
    [
        None,
        "fast",
        {},
        {"adapt_lr": "0.1", "cache_lambda": 0.1},
        {"adapt_lr": -1, "cache_lambda": 0.1},
        {"adapt_lr": 0.01, "cache_lambda": 1.5},
        {"adapt_lr": True, "cache_lambda": 0.1},
    ],
)
def test_missing_or_bad_saved_settings_fall_back_to_the_defaults(saved):
    assert Adaptation.from_json(saved) == Adaptation()


def test_good_saved_settings_are_kept():
    assert Adaptation.from_json({"adapt_lr": 0.03, "cache_lambda": 0.1}).predictor_settings() == {
        "adapt_lr": 0.03,
        "cache_lambda": 0.1,
    }
