"""The numpy stepper must be the network, key for key: the game's guesses come from it."""

import copy

import numpy as np
import pytest
import torch

from keytui.data.vocab import Vocab
from keytui.model.models import KeyModel, ModelConfig
from keytui.model.stepper import compile_stepper
from keytui.predictors import NeuralPredictor

KEYS = "asdfjkl;AS "


def _model(**settings) -> tuple[KeyModel, Vocab]:
    torch.manual_seed(0)
    vocab = Vocab.from_text(KEYS)
    config = ModelConfig(vocab_size=len(vocab), **{"hidden_size": 12, "num_layers": 2, "embedding_dim": 6, **settings})
    model = KeyModel(config, vocab.tokens).eval()
    with torch.no_grad():  # non-zero everywhere: a folded term that was dropped would show
        for param in model.parameters():
            param.add_(0.3 * torch.randn_like(param))
    return model, vocab


@pytest.mark.parametrize(
    "settings",
    [
        {"arch": "gru"},
        {"arch": "gru-onehot"},
        {"arch": "gru", "share_key_caps": True, "key_geometry": True, "num_layers": 3},
    ],
)
def test_numpy_step_equals_the_pytorch_step(settings):
    model, vocab = _model(**settings)
    stepper = compile_stepper(model)
    assert stepper is not None
    torch_state, numpy_state = None, None
    for key in "asdfASa;; kj" * 3:
        key_id = vocab.id(key)
        logits, feature, torch_state = model.step_with_features(key_id, torch_state)
        numpy_logits, numpy_feature, numpy_state = stepper.step(key_id, numpy_state)
        np.testing.assert_allclose(numpy_logits, logits.numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(numpy_feature, feature.numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(numpy_state, torch_state[0][:, 0].numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("arch", ["lstm", "lstm-attn"])
def test_networks_without_a_numpy_path_step_with_pytorch(arch):
    model, _ = _model(arch=arch)
    assert compile_stepper(model) is None


def test_adaptive_predictor_learns_the_same_with_and_without_the_stepper():
    """Dynamic evaluation changes the weights every few keys: the numpy path must follow them."""
    model, vocab = _model(arch="gru", key_geometry=True)
    fast = NeuralPredictor(copy.deepcopy(model), vocab, adaptive=True, adapt_every=4)
    slow = NeuralPredictor(copy.deepcopy(model), vocab, adaptive=True, adapt_every=4)
    assert fast._stepper is not None
    slow._stepper = None  # the PyTorch path
    for key in "asdfasdfjkl;jkl;asdf" * 2:
        fast.observe(key)
        slow.observe(key)
        np.testing.assert_allclose(fast.probs(), slow.probs(), rtol=1e-4, atol=1e-6)
        fast.settle()
        slow.settle()
    trained = next(model.parameters()).detach()
    assert not torch.allclose(next(fast.model.parameters()).detach(), trained)  # it did learn


def test_a_step_prepared_before_its_key_is_the_same_step():
    """`prepare` works out the recurrent half of the next step between keys; the step must not change, and a step
    from another state than the one prepared must not use it."""
    model, vocab = _model(arch="gru")
    stepper = compile_stepper(model)
    _, _, state = stepper.step(vocab.id("a"), None)
    expected = stepper.step(vocab.id("s"), state)
    stepper.prepare(state)
    for got, want in zip(stepper.step(vocab.id("s"), state), expected, strict=True):
        np.testing.assert_array_equal(got, want)
    stepper.prepare(state)
    other = state + 0.5
    for got, want in zip(stepper.step(vocab.id("s"), other), stepper.step(vocab.id("s"), other.copy()), strict=True):
        np.testing.assert_array_equal(got, want)  # prepared for `state`, not for `other`: worked out afresh
