"""The memory of the fitted keys: its votes, its batched outputs, and the expert that lets it vote in play."""

import numpy as np
import pytest
import torch

from keytui.model import memory as memory_module
from keytui.model.checkpoint import Checkpoint, load_checkpoint
from keytui.model.memory import KeyMemory, model_outputs
from keytui.predictors import MixturePredictor, NeuralPredictor, replay
from keytui.predictors.factory import build_experts, memory_allowed
from keytui.predictors.memory import MemoryPredictor


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
    return features, ids, KeyMemory(features, ids, 5, theta=0.7)


def test_a_vote_weighs_the_moments_that_read_the_same_key(random_memory):
    features, ids, memory = random_memory
    rng = np.random.default_rng(1)
    for key_id in range(1, 5):
        query = rng.normal(size=8).astype(np.float32)
        expected = brute_force_vote(features, ids, 5, 0.7, key_id, query)
        np.testing.assert_allclose(memory.vote(key_id, query), expected, rtol=1e-5, atol=1e-7)
    assert memory.vote(7, rng.normal(size=8)) is None  # nothing remembered after that key: no vote


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


def test_the_memory_expert_mixes_its_vote_into_the_networks_guess(tiny_checkpoint):
    checkpoint = load_checkpoint(tiny_checkpoint)
    memory = KeyMemory.build(checkpoint.model, checkpoint.vocab.encode(checkpoint.fit_text), len(checkpoint.vocab) - 1)
    alone = NeuralPredictor(checkpoint.model, checkpoint.vocab)
    network = NeuralPredictor(checkpoint.model, checkpoint.vocab)
    expert = MemoryPredictor(network, memory, share=0.4)
    voted = 0
    for key in checkpoint.fit_text[-50:]:
        alone.observe(key)
        network.observe(key)
        expert.observe(key)
        vote = memory.vote(checkpoint.vocab.id(key), alone.feature)
        voted += vote is not None
        expected = alone.probs() if vote is None else 0.6 * alone.probs() + 0.4 * vote
        np.testing.assert_allclose(expert.probs(), expected, atol=1e-6)
    assert voted > 40


def test_a_memory_recalls_a_string_the_network_cannot_know_and_the_mixer_trusts_it():
    """A phrase seen once in the fitted keys comes back in play: the memory expert recalls it, an untrained network
    cannot, and the mixture follows the memory."""
    from keytui.data.vocab import Vocab
    from keytui.model.models import KeyModel, ModelConfig

    rng = np.random.default_rng(3)
    phrase = "".join(rng.choice(list("abcdefghij"), size=40))
    fitted = "".join(rng.choice(list("abcdefghij"), size=150)) + phrase + "xyz"
    played = (phrase + "".join(rng.choice(list("abcdefghij"), size=10))) * 2
    vocab = Vocab.from_text(fitted + played)
    torch.manual_seed(0)
    model = KeyModel(ModelConfig(vocab_size=len(vocab), hidden_size=32, num_layers=1, embedding_dim=8)).eval()
    checkpoint = Checkpoint(model, vocab, {}, fitted)
    experts = build_experts(checkpoint, adaptive=False)
    assert set(experts) == {"network", "memory", "ngram", "geometry"}
    mixture = MixturePredictor(experts)
    together = replay(mixture, played, warmup=fitted[-20:])
    scores = mixture.expert_metrics()
    assert scores["memory"].hit_rate > scores["network"].hit_rate + 0.1
    assert together.hit_rate > scores["network"].hit_rate + 0.1, together.hit_rate
    assert not memory_allowed({"memory": {"expert": False}})
    refused = Checkpoint(model, vocab, {"memory": {"expert": False}}, fitted)
    assert "memory" not in build_experts(refused, adaptive=False)


@pytest.mark.parametrize("saved", [None, {}, {"weight": 0.0, "theta": 0.5, "hit_rate": 0.15}, {"expert": True}, []])
def test_checkpoints_saved_before_the_mixer_let_the_memory_vote(saved):
    assert memory_allowed({} if saved is None else {"memory": saved})
