"""From a corpus to a saved checkpoint: what `keytui train` and the train screen both run.

Given a `prior` (the shipped pretrained model, or any keytui model), the network starts from its weights and keeps
its vocabulary and settings (fine-tuning); without one, a new network is trained from random weights.
The best weights so far are saved every time validation improves, so a cancel, a Ctrl-C or a crash leaves the best
checkpoint on disk: as a candidate (`checkpoints/candidates/NAME.safetensors`), never over the previous complete
model. At the end the test split is scored for the model and for the baselines side by side, and the candidate
replaces `NAME.safetensors` only if it is better on the same held-out keys (see `keytui.game.versions`). The test keys
are also replayed through the predictor play and eval use (keytui/predictors/factory.py), frozen and adaptive.
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from keytui.data.corpus import corpus_hash
from keytui.data.keyboard import DEFAULT_LAYOUT
from keytui.data.vocab import Vocab
from keytui.errors import KeytuiError
from keytui.game.versions import Decision, candidate_path, check_model_output, decide, install, training_lock
from keytui.model.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from keytui.model.models import ModelConfig, use_layout
from keytui.model.training import (
    EpochDone,
    EventCallback,
    TrainConfig,
    Trainer,
    TrainingFinished,
    TrainResult,
    check_corpus_size,
    split_text,
)
from keytui.predictors import MajorityPredictor, NGramPredictor, replay
from keytui.predictors.factory import build_predictor


@dataclass
class FitOutcome:
    result: TrainResult
    checkpoint: Path | None  # where this run's model is: NAME.safetensors, or its candidate when not installed
    baselines: dict[str, dict]
    predictor: dict[str, dict] | None = None  # the test keys replayed through play's predictor, frozen and adaptive
    decision: Decision | None = None  # whether it replaced NAME.safetensors, and why; None when nothing was saved
    installed: Path | None = None  # NAME.safetensors, the model to play now (this run's or the one it did not beat)

    def summary(self, *, layout: str, prior: Path | None, memory_expert: bool) -> dict:
        """The run as `keytui train --json` prints it (one JSON object; its keys are a public interface)."""
        result = self.result
        return {
            "checkpoint": str(self.checkpoint),
            "layout": layout,
            "from": prior.stem if prior is not None else None,
            "replaced": self.decision.replaced if self.decision else False,
            "decision": self.decision.reason if self.decision else None,
            "stopped": result.stopped,
            "epochs": result.epochs_run,
            "best_epoch": result.best_epoch,
            "best_val_loss": round(result.best_val_loss, 6),
            "seconds": round(result.seconds, 2),
            "test": result.test.to_json() if result.test else None,
            "baselines": self.baselines,
            "predictor": self.predictor,
            "memory": {"expert": memory_expert},
        }


def fit_and_save(text: str, *, out_path: Path, **settings: object) -> FitOutcome:
    """Train on `text` and save the model to `out_path` (see `_fit_and_save` for the settings), once the place is
    one a model may go (never over a corpus, someone's file or the shipped models), holding the name's training lock
    from the first save to the install (a second run into the same name is refused in one line)."""
    out_path = Path(out_path)
    check_model_output(out_path)
    with training_lock(out_path):
        return _fit_and_save(text, out_path=out_path, **settings)  # type: ignore[arg-type]


def _fit_and_save(
    text: str,
    *,
    corpus_name: str,
    out_path: Path,
    model_settings: dict,
    train_config: TrainConfig,
    on_event: EventCallback | None = None,
    cancel: threading.Event | None = None,
    layout: str = DEFAULT_LAYOUT,
    memory_expert: bool = True,
    prior: Path | None = None,
    corpus_kind: str | None = None,
    replace: bool = False,
) -> FitOutcome:
    """Train on `text`, save the best model to `out_path` and score the test keys. `layout` (the corpus's keyboard)
    goes into its metadata, and `memory_expert`: whether play may let a memory of the fitted keys vote (the mixer
    decides how much it counts)."""
    check_corpus_size(text, train_config, corpus_name)
    split = split_text(text, train_config.test_fraction, train_config.val_fraction)
    base_meta = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "corpus": {"name": corpus_name, "sha256": corpus_hash(text), "keys": len(text), "kind": corpus_kind},
        "layout": layout,
        "split": {"train": len(split.train), "val": len(split.val), "test": len(split.test)},
        "training": train_config.to_json(),
        "memory": {"expert": memory_expert},
    }
    if prior is None:
        vocab = Vocab.from_text(text)
        model_config = ModelConfig(vocab_size=len(vocab), **model_settings)
        trainer = Trainer(model_config, train_config, vocab, split)
    else:
        if model_settings:
            raise KeytuiError(
                f"fine-tuning keeps the network of {Path(prior).stem}; model settings "
                f"({', '.join(sorted(model_settings))}) need training from scratch"
            )
        start = load_checkpoint(prior)
        vocab = start.vocab  # keys it does not know map to the unknown token, as for any model
        use_layout(start.model, vocab.tokens, layout)  # geometry learnt on every layout, read on this corpus's
        trainer = Trainer(start.config, train_config, vocab, split, initial=start.model)
        base_meta["prior"] = prior_summary(start)
        base_meta["kind"] = f"fine-tuned from {start.label}"
    fit_text = split.train + split.val
    saved = False
    out_path = Path(out_path)
    candidate = candidate_path(out_path)  # the run writes here; NAME.safetensors changes only once it is better

    def meta_for(history: list[EpochDone], **extra) -> dict:
        return {**base_meta, "curve": [e.to_json() for e in history], **extra}

    history: list[EpochDone] = []

    def relay(event) -> None:
        nonlocal saved
        if isinstance(event, EpochDone):
            history.append(event)
            if event.improved:  # keep the best so far on disk: cancel or crash can only lose later epochs
                save_checkpoint(candidate, trainer.scored_model, vocab, meta_for(history, status="training"), fit_text)
                saved = True
        if on_event is not None and not isinstance(event, TrainingFinished):
            on_event(event)

    result = trainer.run(relay, cancel)
    baselines, predictor = {}, None
    if saved and result.stopped == "cancelled":
        # The best weights are on disk already; say the run was cancelled and stop. Scoring the test keys (a replay
        # through every expert, tens of seconds on a large corpus) is for runs that finished.
        meta = meta_for(
            result.history,
            status=result.stopped,
            best_epoch=result.best_epoch,
            metrics={"val_loss": round(result.best_val_loss, 6)},
        )
        save_checkpoint(candidate, result.model, vocab, meta, fit_text)
    elif result.test is not None:
        baselines = test_baselines(fit_text, split.test)
        predictor = test_predictor(Checkpoint(result.model, vocab, dict(base_meta), fit_text), split.test)
        meta = meta_for(
            result.history,
            status=result.stopped,
            best_epoch=result.best_epoch,
            refit_epochs=result.refit_epochs,
            seconds=round(result.seconds, 2),
            metrics={
                "val_loss": round(result.best_val_loss, 6),
                "test": result.test.to_json(),
                "predictor": predictor,
                "baselines": baselines,
            },
        )
        save_checkpoint(candidate, result.model, vocab, meta, fit_text)
        saved = True
    decision = None
    if saved:
        decision = decide(candidate, out_path, split.test, fit_text[-256:], replace=replace)
        if decision.replaced:
            install(candidate, out_path)
    if on_event is not None:
        on_event(TrainingFinished(result))
    if not saved:
        return FitOutcome(result, None, baselines, predictor)
    where = out_path if decision.replaced else candidate
    return FitOutcome(result, where, baselines, predictor, decision, out_path)


def prior_summary(start) -> dict:
    """What a fine-tuned model says about where it started (shown by `keytui list`)."""
    meta = start.meta
    corpus = meta.get("corpus") if isinstance(meta.get("corpus"), dict) else {}
    return {
        "name": start.label,
        "kind": str(meta.get("kind") or f"trained on corpus {corpus.get('name', '?')}"),
        "created": meta.get("created"),
    }


def test_baselines(fit_text: str, test_text: str) -> dict[str, dict]:
    """The baselines' scores on the test keys, each fitted on the same keys the model saw."""
    warmup = fit_text[-8:]
    return {
        "majority": replay(MajorityPredictor(fit_text, adaptive=False), test_text).to_json(),
        "ngram": replay(NGramPredictor(fit_text, adaptive=False), test_text, warmup=warmup).to_json(),
        "ngram_adaptive": replay(NGramPredictor(fit_text, adaptive=True), test_text, warmup=warmup).to_json(),
    }


def test_predictor(checkpoint: Checkpoint, test_text: str) -> dict[str, dict]:
    """The test keys replayed through the predictor play uses, after the last fitted keys (unscored), frozen and
    adaptive (adaptive on a copy of the network: dynamic evaluation changes its weights)."""
    warmup = checkpoint.fit_text[-256:]
    frozen = replay(build_predictor(checkpoint, adaptive=False), test_text, warmup=warmup)
    learner = Checkpoint(copy.deepcopy(checkpoint.model), checkpoint.vocab, checkpoint.meta, checkpoint.fit_text)
    adaptive = replay(build_predictor(learner, adaptive=True), test_text, warmup=warmup)
    return {"frozen": frozen.to_json(), "adaptive": adaptive.to_json()}
