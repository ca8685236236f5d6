import json
import os
import struct

import pytest
import torch

from keytui.data.vocab import Vocab
from keytui.errors import KeytuiError
from keytui.model.checkpoint import load_checkpoint, read_metadata, save_checkpoint
from keytui.model.models import KeyModel, ModelConfig


def _model_and_vocab():
    vocab = Vocab.from_text("abcdef")
    return KeyModel(ModelConfig(vocab_size=len(vocab), hidden_size=8, num_layers=1, embedding_dim=4)), vocab


def test_round_trip_keeps_weights_vocab_metadata_and_fit_text(tmp_path):
    model, vocab = _model_and_vocab()
    path = tmp_path / "m.safetensors"
    save_checkpoint(path, model, vocab, {"corpus": {"name": "x"}}, fit_text="abcabz")
    loaded = load_checkpoint(path)
    assert loaded.vocab == vocab
    assert loaded.meta["corpus"] == {"name": "x"} and loaded.meta["keytui_version"]
    assert loaded.fit_text == "abcab<unk>"  # a key outside the vocabulary is stored as the unknown token
    for name, tensor in model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[name], tensor)
    assert read_metadata(path)["model"]["hidden_size"] == 8


def test_training_checkpoint_records_curve_metrics_and_baselines(tiny_checkpoint):
    meta = read_metadata(tiny_checkpoint)
    assert meta["corpus"]["name"] == "small" and len(meta["corpus"]["sha256"]) == 64
    assert len(meta["curve"]) >= 1 and {"train_loss", "val_loss", "lr"} <= set(meta["curve"][0])
    assert {"macro_f1", "weighted_f1", "accuracy"} <= set(meta["metrics"]["test"])
    assert {"majority", "ngram", "ngram_adaptive"} <= set(meta["metrics"]["baselines"])


def test_a_crash_while_saving_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    model, vocab = _model_and_vocab()
    path = tmp_path / "m.safetensors"
    save_checkpoint(path, model, vocab, {"generation": 1})
    before = path.read_bytes()

    def crash(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeytuiError, match="cannot write"):
        save_checkpoint(path, model, vocab, {"generation": 2})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]  # no temporary file left behind


def test_truncated_checkpoint_is_a_one_line_error(tmp_path):
    model, vocab = _model_and_vocab()
    path = tmp_path / "m.safetensors"
    save_checkpoint(path, model, vocab, {})
    data = path.read_bytes()
    for cut in (0, 5, 40, len(data) // 2, len(data) - 3):
        path.write_bytes(data[:cut])
        with pytest.raises(KeytuiError) as info:
            load_checkpoint(path)
        assert "\n" not in str(info.value)


def test_a_pickle_is_refused_without_running_it(tmp_path):
    """A classic malicious checkpoint: unpickling it would run code. keytui never unpickles."""
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.safetensors"
    torch.save({"weights": Exploit()}, path)
    with pytest.raises(KeytuiError, match="not a keytui model"):
        load_checkpoint(path)
    assert not marker.exists()


def test_foreign_safetensors_file(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(2)}, path)
    with pytest.raises(KeytuiError, match="from something else"):
        load_checkpoint(path)


def _rewrite_meta(path, change):
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    meta = json.loads(header["__metadata__"]["meta"])
    change(meta)
    header["__metadata__"]["meta"] = json.dumps(meta)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + n :])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m["model"].update(hidden_size=9), "does not match"),
        (lambda m: m["vocab"].append("q"), "inconsistent"),
        (lambda m: m["model"].update(arch="mystery"), "unknown architecture"),
        (lambda m: m.pop("vocab"), "incomplete metadata"),
    ],
)
def test_mismatched_metadata_is_a_clear_error(tmp_path, change, message):
    model, vocab = _model_and_vocab()
    path = tmp_path / "m.safetensors"
    save_checkpoint(path, model, vocab, {})
    _rewrite_meta(path, change)
    with pytest.raises(KeytuiError, match=message):
        load_checkpoint(path)


def test_missing_checkpoint(tmp_path):
    with pytest.raises(KeytuiError, match="no model"):
        load_checkpoint(tmp_path / "none.safetensors")
