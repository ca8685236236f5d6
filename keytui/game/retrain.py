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
            f"{self.trained_keys:,}: retrain it (t on home, F7 in play) to read you better."
        )


def retrain_offer(model_path: Path, corpus_path: Path) -> RetrainOffer | None:
    """An offer when `corpus_path` is the corpus the model was trained on and has grown enough since."""
    from keytui.data.corpus import read_corpus
    from keytui.model.checkpoint import read_metadata

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


MAX_RETRAIN_SECONDS = 600.0


@dataclass(frozen=True)
class RetrainResult:
    """A retraining's outcome, decided by keytui.game.versions: the new model replaced the old one only if it did better
    on the same held-out keys (the old one is then kept under checkpoints/previous/)."""

    better: bool
    reason: str  # one line for people, with the figures
    model: Path  # the model to play now

    def sentence(self) -> str:
        verdict = "The retrained model reads you better" if self.better else "The retrained model was no better"
        return f"{verdict}: {self.reason}."


def retrain(
    model_path: Path,
    corpus_path: Path,
    *,
    cancel=None,
    train_config=None,
    on_event=None,
) -> RetrainResult | None:
    """Train a model like `model_path` (its settings) on the whole of `corpus_path`, as `keytui train` would: it
    replaces the model only if it scores better on the corpus's held-out newest keys. None when cancelled or when
    nothing finished (the model is then as it was)."""
    import threading

    from keytui.data.corpus import read_corpus
    from keytui.data.corpus_meta import read_layout
    from keytui.game.fit import fit_and_save
    from keytui.model.checkpoint import read_metadata
    from keytui.model.training import TrainConfig

    meta = read_metadata(model_path)
    settings = {k: v for k, v in meta.get("model", {}).items() if k != "vocab_size"}
    cancel = cancel or threading.Event()
    outcome = fit_and_save(
        read_corpus(corpus_path),
        corpus_name=corpus_path.stem,
        out_path=model_path,
        model_settings=settings,
        train_config=train_config or TrainConfig(max_seconds=MAX_RETRAIN_SECONDS),
        on_event=on_event,
        cancel=cancel,
        layout=read_layout(corpus_path),
    )
    if cancel.is_set() or outcome.decision is None:
        return None
    return RetrainResult(outcome.decision.replaced, outcome.decision.reason, model_path)
