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
