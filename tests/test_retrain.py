"""The retrain offer: only for the model's own corpus, and only once it has grown enough."""

from __future__ import annotations

from keytui.checkpoint import read_metadata
from keytui.retrain import MIN_NEW_KEYS, retrain_offer


def test_an_offer_only_when_the_models_corpus_grew_enough(tmp_path, tiny_checkpoint, small_text):
    trained = read_metadata(tiny_checkpoint)["corpus"]["keys"]
    corpus = tmp_path / "small.txt"  # the name the tiny model was trained on
    corpus.write_text(small_text + "a" * (MIN_NEW_KEYS - 1))
    assert retrain_offer(tiny_checkpoint, corpus) is None  # not enough new keys yet
    corpus.write_text(small_text + "a" * (MIN_NEW_KEYS + 10))
    offer = retrain_offer(tiny_checkpoint, corpus)
    assert offer is not None and offer.trained_keys == trained and offer.new_keys == len(small_text) + 1010 - trained
    assert "retrain" in offer.sentence() and "small" in offer.sentence()
    other = tmp_path / "other.txt"
    other.write_text(small_text * 5)
    assert retrain_offer(tiny_checkpoint, other) is None  # another corpus: its keys say nothing about this model
    assert retrain_offer(tmp_path / "missing.safetensors", corpus) is None
    assert retrain_offer(tiny_checkpoint, tmp_path / "nothing" / "small.txt") is None


def test_retraining_keeps_a_new_model_only_when_it_does_better(tmp_path, tiny_checkpoint, small_text, monkeypatch):
    import keytui.retrain as retrain_module
    from keytui.training import TrainConfig

    models = tmp_path / "checkpoints"
    models.mkdir()
    model = models / "small.safetensors"
    model.write_bytes(tiny_checkpoint.read_bytes())
    corpus = tmp_path / "small.txt"
    corpus.write_text(small_text + small_text[:600])
    config = TrainConfig(epochs=2, seq_len=32, batch_size=8)

    def scores(bits_by_model):
        return lambda path, text: {"n": 180, "bits_per_char": bits_by_model(path), "hit_rate": 0.2}

    monkeypatch.setattr(retrain_module, "held_out_scores", scores(lambda p: 3.0 if p == model else 2.5))
    result = retrain_module.retrain(model, corpus, train_config=config)
    assert result.better and result.candidate == models / "small-2.safetensors" and result.candidate.exists()
    assert model.read_bytes() == tiny_checkpoint.read_bytes()  # the old model is never touched
    assert "reads you better" in result.sentence()
    assert not (models / ".retrain").exists()  # nothing half-trained is left behind
    monkeypatch.setattr(retrain_module, "held_out_scores", scores(lambda p: 3.0 if p == model else 3.5))
    result = retrain_module.retrain(model, corpus, train_config=config)
    assert not result.better and result.candidate is None and "no better" in result.sentence()
    assert sorted(p.name for p in models.iterdir()) == ["small-2.safetensors", "small.safetensors"]


def test_a_cancelled_retraining_leaves_nothing(tmp_path, tiny_checkpoint, small_text):
    import threading

    from keytui.retrain import retrain
    from keytui.training import TrainConfig

    model = tmp_path / "small.safetensors"
    model.write_bytes(tiny_checkpoint.read_bytes())
    corpus = tmp_path / "small.txt"
    corpus.write_text(small_text)
    cancel = threading.Event()
    cancel.set()
    assert retrain(model, corpus, cancel=cancel, train_config=TrainConfig(epochs=2, seq_len=32)) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.safetensors", "small.txt"]


def test_free_names_count_on():
    from pathlib import Path

    from keytui.retrain import _free_name

    assert _free_name(Path("/nonexistent/keys.safetensors")).name == "keys-2.safetensors"
    assert _free_name(Path("/nonexistent/keys-2.safetensors")).name == "keys-3.safetensors"
