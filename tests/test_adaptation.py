"""Adaptation settings: chosen on validation keys when training ends, saved in the checkpoint, used in play."""

import copy
import itertools

import numpy as np
import pytest

from keytui import adaptation
from keytui.adaptation import (
    CACHE_SIZES,
    CACHE_WEIGHTS,
    LEARNING_RATES,
    Adaptation,
    Trace,
    choose_adaptation,
    model_predictor,
)
from keytui.checkpoint import load_checkpoint
from keytui.predictors import NeuralPredictor, replay
from keytui.training import split_text


def test_training_saves_the_choice_and_play_uses_it(tiny_checkpoint):
    checkpoint = load_checkpoint(tiny_checkpoint)
    saved = checkpoint.meta["adaptation"]
    assert saved["adapt_lr"] in LEARNING_RATES
    assert saved["cache_lambda"] in CACHE_WEIGHTS
    assert saved["cache_size"] in CACHE_SIZES
    assert 0 <= saved["hit_rate"] <= 1
    predictor = model_predictor(checkpoint, adaptive=True)
    chosen = (predictor.adapt_lr, predictor.cache_lambda, predictor.cache_size)
    assert chosen == (saved["adapt_lr"], saved["cache_lambda"], saved["cache_size"])
    assert model_predictor(checkpoint, adaptive=False).adaptive is False


def test_the_choice_is_the_best_candidate_on_the_validation_keys(tiny_checkpoint, small_text, monkeypatch):
    """The choice scores cache settings on one recorded replay: it must pick what replaying each would pick."""
    checkpoint = load_checkpoint(tiny_checkpoint)
    parts = split_text(small_text)
    monkeypatch.setattr(adaptation, "LEARNING_RATES", (0.0, 0.05))
    monkeypatch.setattr(adaptation, "CACHE_WEIGHTS", (0.0, 0.5))
    # 50 is fewer than the keys replayed: the oldest entries make way
    monkeypatch.setattr(adaptation, "CACHE_SIZES", (50, 1000))
    chosen = choose_adaptation(checkpoint.model, checkpoint.vocab, parts.train, parts.val)
    rates = {}
    for settings in itertools.product((0.0, 0.05), (0.0, 0.5), (50, 1000)):
        fresh = load_checkpoint(tiny_checkpoint)
        names = ("adapt_lr", "cache_lambda", "cache_size")
        predictor = NeuralPredictor(fresh.model, fresh.vocab, adaptive=True, **dict(zip(names, settings, strict=True)))
        rates[settings] = replay(predictor, parts.val, warmup=parts.train[-256:]).hit_rate
    assert len(set(rates.values())) > 1, "the candidates should not all score the same"
    one_key = 1 / len(parts.val)
    assert chosen.hit_rate == pytest.approx(max(rates.values()), abs=one_key)
    chosen_settings = (chosen.adapt_lr, chosen.cache_lambda, chosen.cache_size)
    assert rates[chosen_settings] == pytest.approx(max(rates.values()), abs=one_key)


def test_a_trace_mixes_the_cache_exactly_as_the_predictor_does(tiny_checkpoint, small_text):
    checkpoint = load_checkpoint(tiny_checkpoint)
    parts = split_text(small_text)
    warmup, keys = parts.train[-100:], parts.val
    settings = {"adapt_lr": 0.05, "cache_size": 50}
    traced = NeuralPredictor(
        copy.deepcopy(checkpoint.model), checkpoint.vocab, adaptive=True, cache_lambda=0.0, **settings
    )
    trace = Trace(traced, warmup, keys)
    cache, has_cache = trace.cache_guesses(traced.cache_theta, 50)
    assert has_cache.all()
    playing = NeuralPredictor(checkpoint.model, checkpoint.vocab, adaptive=True, cache_lambda=0.4, **settings)
    for key in warmup:
        playing.observe(key)
    own = trace.guesses[trace.scored]
    for i, key in enumerate(keys):
        np.testing.assert_allclose(playing.probs(), 0.6 * own[i] + 0.4 * cache[i], atol=1e-5)
        playing.observe(key)


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
        {"adapt_lr": 0.01, "cache_lambda": 0.1, "cache_size": 0},
        {"adapt_lr": 0.01, "cache_lambda": 0.1, "cache_size": 2000.5},
        {"adapt_lr": 0.01, "cache_lambda": 0.1, "cache_size": 10**9},
    ],
)
def test_missing_or_bad_saved_settings_fall_back_to_the_defaults(saved):
    assert Adaptation.from_json(saved) == Adaptation()


def test_good_saved_settings_are_kept():
    saved = {"adapt_lr": 0.03, "cache_lambda": 0.1, "cache_size": 2000}
    assert Adaptation.from_json(saved).predictor_settings() == saved


def test_settings_saved_before_the_cache_shape_was_chosen_keep_the_rest():
    settings = Adaptation.from_json({"adapt_lr": 0.03, "cache_lambda": 0.1}).predictor_settings()
    default = Adaptation()
    assert settings == {
        "adapt_lr": 0.03,
        "cache_lambda": 0.1,
        "cache_size": default.cache_size,
    }
