"""When retraining pays: enough of the player's keys have been added to a model's corpus since it was trained."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from keytui.errors import KeytuiError

MIN_NEW_KEYS = 1000  # fewer new keys than this rarely change what a model of thousands of keys guesses
MIN_NEW_SHARE = 0.2  # nor fewer than a fifth of what it was trained on


@dataclass(frozen=True)
class RetrainOffer:
    model: str
    corpus: Path
    trained_keys: int
    corpus_keys: int

    @property
    def new_keys(self) -> int:
        return self.corpus_keys - self.trained_keys

    def sentence(self) -> str:
        return (
            f"{self.new_keys:,} new keys in corpus {self.corpus.stem} since model {self.model} was trained on "
            f"{self.trained_keys:,}: retrain it (t) to read you better."
        )


def retrain_offer(model_path: Path, corpus_path: Path) -> RetrainOffer | None:
    """An offer when `corpus_path` is the corpus the model was trained on and has grown enough since."""
    from keytui.checkpoint import read_metadata
    from keytui.corpus import read_corpus

    try:
        meta = read_metadata(model_path)
    except KeytuiError:
        return None
    corpus = meta.get("corpus") if isinstance(meta.get("corpus"), dict) else {}
    trained = corpus.get("keys")
    if corpus.get("name") != corpus_path.stem or not isinstance(trained, int):
        return None
    try:
        if corpus_path.stat().st_size < trained + MIN_NEW_KEYS:  # bytes >= keys: too small to have grown enough
            return None
        keys = len(read_corpus(corpus_path))
    except (OSError, KeytuiError):
        return None
    if keys - trained < max(MIN_NEW_KEYS, MIN_NEW_SHARE * trained):
        return None
    return RetrainOffer(model_path.stem, corpus_path, trained, keys)
