"""When retraining pays: enough of the player's keys have been added to a model's corpus since it was trained."""

from __future__ import annotations

import contextlib
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


RETRAIN_FOLDER = ".retrain"  # under checkpoints/: a model in training is never listed nor played
MAX_RETRAIN_SECONDS = 600.0


@dataclass(frozen=True)
class RetrainResult:
    """A retraining's outcome: both models scored on the same newest keys, which neither was trained on."""

    keys: int
    old_bits: float
    new_bits: float
    old_hit_rate: float
    new_hit_rate: float
    candidate: Path | None  # the new model, kept only when it did better

    @property
    def better(self) -> bool:
        return self.candidate is not None

    def sentence(self) -> str:
        figures = (
            f"on your newest {self.keys:,} keys: {self.new_hit_rate:.1%} hits, {self.new_bits:.2f} bits per key, "
            f"against {self.old_hit_rate:.1%} and {self.old_bits:.2f} for the current model"
        )
        if self.candidate is None:
            return f"The retrained model was no better {figures}; the current model stays."
        return f"The retrained model {self.candidate.stem} reads you better {figures}."


def held_out_scores(checkpoint_path: Path, text: str) -> dict:
    """A model, frozen, on the corpus's held-out tail (the keys a retraining keeps for its test)."""
    from keytui.checkpoint import load_checkpoint
    from keytui.evaluation import evaluate_corpus

    report = evaluate_corpus(load_checkpoint(checkpoint_path), text, split="test")
    return {"n": report["n"], **report["model"]}


def retrain(
    model_path: Path,
    corpus_path: Path,
    *,
    cancel=None,
    train_config=None,
    on_event=None,
) -> RetrainResult | None:
    """Train a model like `model_path` on the whole of `corpus_path` and keep it, under a new name beside the old
    one, only if it scores fewer bits per key on the corpus's newest keys. The old model is never touched. None
    when cancelled (nothing is left on disk)."""
    import threading

    from keytui.checkpoint import read_metadata
    from keytui.corpus import read_corpus
    from keytui.corpus_meta import read_layout
    from keytui.fit import fit_and_save
    from keytui.training import TrainConfig

    meta = read_metadata(model_path)
    settings = {k: v for k, v in meta.get("model", {}).items() if k != "vocab_size"}
    text = read_corpus(corpus_path)
    folder = model_path.parent / RETRAIN_FOLDER
    trial = folder / model_path.name
    cancel = cancel or threading.Event()
    try:
        outcome = fit_and_save(
            text,
            corpus_name=corpus_path.stem,
            out_path=trial,
            model_settings=settings,
            train_config=train_config or TrainConfig(max_seconds=MAX_RETRAIN_SECONDS),
            on_event=on_event,
            cancel=cancel,
            layout=read_layout(corpus_path),
        )
        if cancel.is_set() or outcome.checkpoint is None:
            return None
        old, new = held_out_scores(model_path, text), held_out_scores(trial, text)
        candidate = None
        if new["bits_per_char"] < old["bits_per_char"]:
            candidate = _free_name(model_path)
            trial.replace(candidate)
        return RetrainResult(
            old["n"], old["bits_per_char"], new["bits_per_char"], old["hit_rate"], new["hit_rate"], candidate
        )
    finally:
        trial.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()


def _free_name(model_path: Path) -> Path:
    """`NAME-2`, `NAME-3`, ...: the first name beside the model that no file has."""
    stem = model_path.stem
    base, _, number = stem.rpartition("-")
    start = int(number) + 1 if base and number.isdigit() else 2
    root = base if base and number.isdigit() else stem
    for n in range(start, start + 10_000):
        path = model_path.with_name(f"{root}-{n}{model_path.suffix}")
        if not path.exists():
            return path
    raise KeytuiError(f"no free name for a retrained {stem}")
