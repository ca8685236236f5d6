"""The memory of the fitted keys: its votes, its batched twin, how it is chosen, saved and played with."""

import numpy as np
import pytest
import torch

from keytui import memory as memory_module
from keytui.adaptation import model_predictor
from keytui.checkpoint import load_checkpoint
from keytui.memory import WEIGHTS, KeyMemory, MemorySettings, build_memory, choose_memory, model_outputs
from keytui.predictors import NeuralPredictor, replay


def brute_force_vote(features, ids, num_keys, theta, key_id, query):
    """Every remembered moment that read `key_id` votes for its next key with weight exp(-theta * distance^2)."""
    votes = np.zeros(num_keys)
    rows = [i for i in range(len(ids) - 1) if ids[i] == key_id and ids[i + 1] != 0]
    if not rows:
        return None
    scores = np.array([-theta * np.sum((features[i] - query) ** 2) for i in rows])
    weights = np.exp(scores - scores.max())
    for i, w in zip(rows, weights, strict=True):
        votes[ids[i + 1] - 1] += w
    return votes / weights.sum()


@pytest.fixture
def random_memory():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 6, size=400)  # id 0 is the unknown key: never remembered as a next key
    ids[ids == 5] = 1
    features = rng.normal(size=(400, 8)).astype(np.float32)
    return features, ids, KeyMemory(features, ids, 5, weight=0.3, theta=0.7)


def test_a_vote_weighs_the_moments_that_read_the_same_key(random_memory):
    features, ids, memory = random_memory
    rng = np.random.default_rng(1)
    for key_id in range(1, 5):
        query = rng.normal(size=8).astype(np.float32)
        expected = brute_force_vote(features, ids, 5, 0.7, key_id, query)
        np.testing.assert_allclose(memory.vote(key_id, query), expected, rtol=1e-5, atol=1e-7)
    assert memory.vote(7, rng.normal(size=8)) is None  # nothing remembered after that key: no vote


def test_votes_for_many_queries_match_one_at_a_time(random_memory, monkeypatch):
    _, _, memory = random_memory
    monkeypatch.setattr(memory_module, "QUERY_BLOCK", 7)  # several blocks per key
    rng = np.random.default_rng(2)
    key_ids = rng.integers(1, 8, size=60)
    queries = rng.normal(size=(60, 8)).astype(np.float32)
    votes, has_vote = memory.votes(key_ids, queries, 0.7)
    for j in range(60):
        single = memory.vote(int(key_ids[j]), queries[j])
        assert has_vote[j] == (single is not None)
        if single is not None:
            np.testing.assert_allclose(votes[j], single, rtol=1e-5, atol=1e-7)


def test_mixing_leaves_a_guess_alone_without_a_vote(random_memory):
    _, _, memory = random_memory
    probs = np.full(5, 0.2)
    assert memory.mix(probs, 9, np.zeros(8, dtype=np.float32)) is probs
    mixed = memory.mix(probs, 1, np.zeros(8, dtype=np.float32))
    assert mixed.sum() == pytest.approx(1.0)
    assert not np.allclose(mixed, probs)


def test_batched_outputs_match_reading_the_keys_one_by_one(tiny_checkpoint):
    checkpoint = load_checkpoint(tiny_checkpoint)
    ids = checkpoint.vocab.encode(checkpoint.fit_text[:300])  # shorter than a span: one stream, exactly a replay
    features, logits = model_outputs(checkpoint.model, ids)
    state = None
    for i, key_id in enumerate(ids):
        step_logits, feature, state = checkpoint.model.step_with_features(key_id, state)
        np.testing.assert_allclose(features[i], feature.numpy(), atol=1e-5)
        np.testing.assert_allclose(logits[i], step_logits.numpy(), atol=1e-4)


def test_streams_cover_every_key_once_in_order(tiny_checkpoint, monkeypatch):
    checkpoint = load_checkpoint(tiny_checkpoint)
    monkeypatch.setattr(memory_module, "SPAN", 64)
    monkeypatch.setattr(memory_module, "OVERLAP", 16)
    ids = checkpoint.vocab.encode(checkpoint.fit_text[:300])
    features, _ = model_outputs(checkpoint.model, ids)
    with torch.inference_mode():
        continuous, _ = checkpoint.model.features(torch.tensor([ids]))
    assert features.shape == (300, continuous.shape[-1])
    np.testing.assert_allclose(features[:64], continuous[0, :64].numpy(), atol=1e-5)  # the first span: no cut
    # later spans start from 16 keys of context instead of all of them: close, not equal
    assert np.corrcoef(features[64:].ravel(), continuous[0, 64:].numpy().ravel())[0, 1] > 0.9


def test_the_predictor_mixes_the_memory_into_each_guess(tiny_checkpoint):
    checkpoint = load_checkpoint(tiny_checkpoint)
    settings = MemorySettings(weight=0.4, theta=0.5)
    memory = build_memory(checkpoint, settings)
    alone = NeuralPredictor(checkpoint.model, checkpoint.vocab)
    with_memory = NeuralPredictor(checkpoint.model, checkpoint.vocab, memory=memory)
    for key in checkpoint.fit_text[-50:]:
        alone.observe(key)
        with_memory.observe(key)
        vote = memory.vote(checkpoint.vocab.id(key), alone.feature)
        expected = alone.probs() if vote is None else 0.6 * alone.probs() + 0.4 * vote
        np.testing.assert_allclose(with_memory.probs(), expected, atol=1e-6)


def test_the_choice_is_what_replaying_the_validation_keys_scores():
    """A memory of the training keys recalls a random string the model cannot know; the choice's hit rate is the
    live predictor's, key for key (everything fits in one stream, so the batched outputs are exact)."""
    from keytui.models import KeyModel, ModelConfig
    from keytui.vocab import Vocab

    rng = np.random.default_rng(3)
    phrase = "".join(rng.choice(list("abcdefghij"), size=40))
    train = "".join(rng.choice(list("abcdefghij"), size=150)) + phrase + "xyz"
    val = phrase + "".join(rng.choice(list("abcdefghij"), size=30))
    vocab = Vocab.from_text(train + val)
    torch.manual_seed(0)
    model = KeyModel(ModelConfig(vocab_size=len(vocab), hidden_size=32, num_layers=1, embedding_dim=8)).eval()
    chosen, train_memory = choose_memory(model, vocab, train, val)
    assert chosen.enabled, "recalling the phrase should beat an untrained model's guesses"
    assert chosen.weight in WEIGHTS
    memory = KeyMemory.build(model, vocab.encode(train), len(vocab) - 1, weight=chosen.weight, theta=chosen.theta)
    assert (train_memory.weight, train_memory.theta, train_memory.size) == (chosen.weight, chosen.theta, memory.size)
    predictor = NeuralPredictor(model, vocab, memory=memory)
    hit_rate = replay(predictor, val, warmup=train).hit_rate
    assert chosen.hit_rate == pytest.approx(hit_rate, abs=1e-6)
    alone = replay(NeuralPredictor(model, vocab), val, warmup=train).hit_rate
    assert chosen.hit_rate > alone


def test_training_saves_the_choice_and_play_uses_it(tiny_checkpoint):
    checkpoint = load_checkpoint(tiny_checkpoint)
    saved = MemorySettings.from_json(checkpoint.meta["memory"])
    assert checkpoint.meta["memory"]["weight"] in WEIGHTS
    assert 0 <= checkpoint.meta["memory"]["hit_rate"] <= 1
    predictor = model_predictor(checkpoint, adaptive=False)
    if saved.enabled:
        assert (predictor.memory.weight, predictor.memory.theta) == (saved.weight, saved.theta)
    else:
        assert predictor.memory is None


def test_a_checkpoint_that_chose_a_memory_plays_with_one(tiny_checkpoint):
    checkpoint = load_checkpoint(tiny_checkpoint)
    checkpoint.meta["memory"] = {"weight": 0.35, "theta": 0.5}
    predictor = model_predictor(checkpoint, adaptive=True)
    assert predictor.memory.size == len(checkpoint.fit_text) - 1
    del checkpoint.meta["memory"]  # saved before the memory existed: plays as it was trained to
    assert model_predictor(checkpoint, adaptive=True).memory is None


@pytest.mark.parametrize(
    "saved",
    [
        None,
        [],
        {},
        {"weight": 0.2},
        {"weight": "0.2", "theta": 1.0},
        {"weight": 1.0, "theta": 1.0},
        {"weight": -0.1, "theta": 1.0},
        {"weight": 0.2, "theta": 0},
        {"weight": 0.2, "theta": float("inf")},
        {"weight": True, "theta": 1.0},
    ],
)
def test_missing_or_bad_saved_settings_mean_no_memory(saved):
    assert not MemorySettings.from_json(saved).enabled


def test_good_saved_settings_are_kept():
    settings = MemorySettings.from_json({"weight": 0.35, "theta": 0.5, "hit_rate": 0.6})
    assert (settings.weight, settings.theta, settings.enabled) == (0.35, 0.5, True)
