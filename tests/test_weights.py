"""A checkpoint read with numpy alone: the same checks and the same numbers as through torch, and no torch."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from keytui.data.vocab import Vocab
from keytui.errors import KeytuiError
from keytui.model.checkpoint import expected_tensors, load_checkpoint, load_weights, save_checkpoint
from keytui.model.models import KeyModel, ModelConfig
from keytui.model.prior import PRIOR_PATH

KEYS = "asdfjkl;AS 1!"

SETTINGS = [
    {"arch": "gru"},
    {"arch": "gru-onehot", "num_layers": 1},
    {"arch": "lstm", "num_layers": 3},
    {"arch": "lstm-attn"},
    {"arch": "gru", "share_key_caps": True, "key_geometry": True},
    {"arch": "lstm-attn", "share_key_caps": True, "key_geometry": True, "layout": "dvorak"},
    {"arch": "gru", "share_key_caps": False, "key_geometry": True},
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_expected_tensors_are_the_networks_own(settings):
    vocab = Vocab.from_text(KEYS)
    config = ModelConfig(vocab_size=len(vocab), hidden_size=6, embedding_dim=5, **settings)
    names = {torch.float32: "F32", torch.int64: "I64"}
    actual = {k: (names[t.dtype], tuple(t.shape)) for k, t in KeyModel(config, vocab.tokens).state_dict().items()}
    assert expected_tensors(config, vocab.tokens) == actual


@pytest.mark.parametrize("settings", SETTINGS[:5])
def test_numpy_weights_are_the_saved_weights(tmp_path, settings):
    vocab = Vocab.from_text(KEYS)
    model = KeyModel(ModelConfig(vocab_size=len(vocab), hidden_size=6, embedding_dim=5, **settings), vocab.tokens)
    path = tmp_path / "m.safetensors"
    save_checkpoint(path, model, vocab, {}, fit_text="asdf")
    weights = load_weights(path)
    assert weights.model is None and weights.fit_text == "asdf"
    for name, tensor in model.state_dict().items():
        np.testing.assert_array_equal(weights.arrays[name], tensor.numpy())
    built = weights.ensure_model()
    for name, tensor in model.state_dict().items():
        assert torch.equal(built.state_dict()[name], tensor)


def test_numpy_reading_keeps_the_checks(tmp_path):
    vocab = Vocab.from_text(KEYS)
    model = KeyModel(ModelConfig(vocab_size=len(vocab), hidden_size=6, embedding_dim=5), vocab.tokens)
    path = tmp_path / "m.safetensors"
    save_checkpoint(path, model, vocab, {})
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF  # one flipped bit in the weights
    path.write_bytes(bytes(data))
    with pytest.raises(KeytuiError, match="checksum"):
        load_weights(path)
    with torch.no_grad():
        model.head.bias[0] = float("nan")
    save_checkpoint(path, model, vocab, {})
    with pytest.raises(KeytuiError, match="NaN"):
        load_weights(path)


def test_reading_the_shipped_network_loads_no_torch():
    code = (
        "import sys; from keytui.model.checkpoint import load_weights; "
        f"c = load_weights({str(PRIOR_PATH)!r}); "
        "print(sorted(m for m in ('torch', 'textual') if m in sys.modules), len(c.arrays))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "[]" and int(out[1]) > 10


def test_the_shipped_network_loads_alike_both_ways():
    weights, checkpoint = load_weights(PRIOR_PATH), load_checkpoint(PRIOR_PATH)
    for name, tensor in checkpoint.model.state_dict().items():
        np.testing.assert_array_equal(weights.arrays[name], tensor.numpy())


def _keys(n: int) -> str:
    from keytui.model.prior import typist_keys

    return typist_keys(5, n)[1]


def test_the_game_guesses_from_numpy_and_learns_once_the_network_joins():
    """Built from numpy weights, the adaptive network guesses at once; its SGD steps wait until the PyTorch network
    is built (in the background, in the play screen), then catch up one per settle, in order."""
    from keytui.predictors import NeuralPredictor

    keys = _keys(60)
    waiting = load_weights(PRIOR_PATH)
    early = NeuralPredictor(None, waiting.vocab, adaptive=True, checkpoint=waiting)
    frozen = NeuralPredictor(load_checkpoint(PRIOR_PATH).model, waiting.vocab, adaptive=False)
    for key in keys[:35]:  # three segments of 10 keys fall due: no network to learn with yet
        early.observe(key)
        early.settle()
        frozen.observe(key)
        np.testing.assert_allclose(early.probs(), frozen.probs(), rtol=1e-5, atol=1e-7)
    assert not early.joined and len(early._pending) == 3
    trained = {name: value.copy() for name, value in waiting.arrays.items()}
    waiting.ensure_model()
    early.settle()
    assert early.joined and len(early._pending) == 2  # one step a settle: the game never waits for all three
    early.settle()
    early.settle()
    assert not early._pending
    changed = early.model.state_dict()["rnn.weight_hh_l0"].numpy()
    assert not np.allclose(changed, trained["rnn.weight_hh_l0"])


def test_a_network_built_before_the_first_step_learns_as_one_loaded_with_torch():
    from keytui.predictors import NeuralPredictor

    keys = _keys(45)
    waiting = load_weights(PRIOR_PATH)
    early = NeuralPredictor(None, waiting.vocab, adaptive=True, checkpoint=waiting)
    loaded = load_checkpoint(PRIOR_PATH)
    usual = NeuralPredictor(loaded.model, loaded.vocab, adaptive=True)
    for i, key in enumerate(keys):
        if i == 5:
            waiting.ensure_model()
        for predictor in (early, usual):
            predictor.observe(key)
            predictor.settle()
        np.testing.assert_allclose(early.probs(), usual.probs(), rtol=1e-4, atol=1e-6)
