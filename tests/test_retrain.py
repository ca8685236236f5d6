"""The retrain offer: only for the model's own corpus, and only once it has grown enough."""

from __future__ import annotations

from keytui.game.retrain import MIN_NEW_KEYS, retrain_offer
from keytui.model.checkpoint import read_metadata


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


def test_retraining_replaces_the_model_only_when_it_does_better(tmp_path, tiny_checkpoint, small_text, monkeypatch):
    import keytui.game.versions as versions
    from keytui.game.retrain import retrain
    from keytui.model.training import TrainConfig

    models = tmp_path / "checkpoints"
    models.mkdir()
    model = models / "small.safetensors"
    model.write_bytes(tiny_checkpoint.read_bytes())
    corpus = tmp_path / "small.txt"
    corpus.write_text(small_text + small_text[:600])
    config = TrainConfig(epochs=2, seq_len=32, batch_size=8)

    def scores(new_bits, old_bits):  # which model is better is decided by these scores (training itself is real)
        calls = iter([new_bits, old_bits])
        return lambda checkpoint, keys, warmup="": {"hit_rate": 0.2, "bits_per_char": next(calls)}

    monkeypatch.setattr(versions, "held_out_score", scores(3.5, 3.0))
    result = retrain(model, corpus, train_config=config)
    assert not result.better and "no better" in result.sentence()
    assert model.read_bytes() == tiny_checkpoint.read_bytes()  # a worse model never replaces the player's
    monkeypatch.setattr(versions, "held_out_score", scores(2.5, 3.0))
    result = retrain(model, corpus, train_config=config)
    assert result.better and result.model == model and "reads you better" in result.sentence()
    assert model.read_bytes() != tiny_checkpoint.read_bytes()
    assert (models / "previous" / "small.1.safetensors").read_bytes() == tiny_checkpoint.read_bytes()  # kept


def test_a_cancelled_retraining_leaves_the_model_alone(tmp_path, tiny_checkpoint, small_text):
    import threading

    from keytui.game.retrain import retrain
    from keytui.model.training import TrainConfig

    model = tmp_path / "small.safetensors"
    model.write_bytes(tiny_checkpoint.read_bytes())
    corpus = tmp_path / "small.txt"
    corpus.write_text(small_text)
    cancel = threading.Event()
    cancel.set()
    assert retrain(model, corpus, cancel=cancel, train_config=TrainConfig(epochs=2, seq_len=32)) is None
    assert model.read_bytes() == tiny_checkpoint.read_bytes()
