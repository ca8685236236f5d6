"""From a corpus to a saved checkpoint: what `keytui train` and the train screen both run.

The best weights so far are saved every time validation improves, so a cancel, a Ctrl-C or a crash leaves the best
checkpoint on disk. At the end the test split is scored for the model and for the baselines side by side.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from keytui.checkpoint import save_checkpoint
from keytui.corpus import corpus_hash
from keytui.keyboard import DEFAULT_LAYOUT
from keytui.models import ModelConfig
from keytui.predictors import MajorityPredictor, NGramPredictor, replay
from keytui.training import (
    EpochDone,
    EventCallback,
    TrainConfig,
    Trainer,
    TrainingFinished,
    TrainResult,
    check_corpus_size,
    split_text,
)
from keytui.vocab import Vocab


@dataclass
class FitOutcome:
    result: TrainResult
    checkpoint: Path | None  # None when cancelled before any epoch finished
    baselines: dict[str, dict]


def fit_and_save(
    text: str,
    *,
    corpus_name: str,
    out_path: Path,
    model_settings: dict,
    train_config: TrainConfig,
    on_event: EventCallback | None = None,
    cancel: threading.Event | None = None,
    layout: str = DEFAULT_LAYOUT,
) -> FitOutcome:
    """Train on `text` and save the best model to `out_path`; `layout` (the corpus's keyboard) goes into its
    metadata."""
    check_corpus_size(text, train_config, corpus_name)
    split = split_text(text, train_config.test_fraction, train_config.val_fraction)
    vocab = Vocab.from_text(text)
    model_config = ModelConfig(vocab_size=len(vocab), **model_settings)
    trainer = Trainer(model_config, train_config, vocab, split)
    fit_text = split.train + split.val
    base_meta = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "corpus": {"name": corpus_name, "sha256": corpus_hash(text), "keys": len(text)},
        "layout": layout,
        "split": {"train": len(split.train), "val": len(split.val), "test": len(split.test)},
        "training": train_config.to_json(),
    }
    saved = False

    def meta_for(history: list[EpochDone], **extra) -> dict:
        return {**base_meta, "curve": [e.to_json() for e in history], **extra}

    history: list[EpochDone] = []

    def relay(event) -> None:
        nonlocal saved
        if isinstance(event, EpochDone):
            history.append(event)
            if event.improved:  # keep the best so far on disk: cancel or crash can only lose later epochs
                save_checkpoint(out_path, trainer.scored_model, vocab, meta_for(history, status="training"), fit_text)
                saved = True
        if on_event is not None and not isinstance(event, TrainingFinished):
            on_event(event)

    result = trainer.run(relay, cancel)
    baselines = {}
    if result.test is not None:
        baselines = test_baselines(fit_text, split.test)
        meta = meta_for(
            result.history,
            status=result.stopped,
            best_epoch=result.best_epoch,
            refit_epochs=result.refit_epochs,
            adaptation=result.adaptation.to_json() if result.adaptation else None,
            memory=result.memory.to_json() if result.memory else None,
            seconds=round(result.seconds, 2),
            metrics={"val_loss": round(result.best_val_loss, 6), "test": result.test.to_json(), "baselines": baselines},
        )
        save_checkpoint(out_path, result.model, vocab, meta, fit_text)
        saved = True
    if on_event is not None:
        on_event(TrainingFinished(result))
    return FitOutcome(result, out_path if saved else None, baselines)


def test_baselines(fit_text: str, test_text: str) -> dict[str, dict]:
    """The baselines' scores on the test keys, each fitted on the same keys the model saw."""
    warmup = fit_text[-8:]
    return {
        "majority": replay(MajorityPredictor(fit_text, adaptive=False), test_text).to_json(),
        "ngram": replay(NGramPredictor(fit_text, adaptive=False), test_text, warmup=warmup).to_json(),
        "ngram_adaptive": replay(NGramPredictor(fit_text, adaptive=True), test_text, warmup=warmup).to_json(),
    }
