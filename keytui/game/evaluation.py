"""`keytui eval`: replay a corpus as a game for a model and the baselines side by side."""

from __future__ import annotations

from collections.abc import Callable

from keytui.data.metrics import StreamingMetrics
from keytui.model.checkpoint import Checkpoint
from keytui.model.training import split_text
from keytui.predictors import MajorityPredictor, NGramPredictor, Predictor, replay
from keytui.predictors.factory import build_predictor


def players(checkpoint: Checkpoint, *, adaptive: bool, corpus_fit: str = "") -> dict[str, Predictor]:
    """The model (its experts and their mixer, as play builds it) and the baselines, each fitted on the keys the
    model was fitted on. A model fitted on no person's keys (the pretrained `demo`) leaves the baselines the
    corpus' own keys before the scored ones (`corpus_fit`), and, frozen on nothing, they would guess nothing: then
    they learn online from the first key instead, the strongest simple rival there is."""
    fit_text = checkpoint.fit_text or corpus_fit
    baselines_adapt = adaptive or not fit_text
    return {
        "model": build_predictor(checkpoint, adaptive=adaptive),
        "majority": MajorityPredictor(fit_text, adaptive=baselines_adapt),
        "ngram": NGramPredictor(fit_text, adaptive=baselines_adapt),
    }


PROGRESS_KEYS = 20_000  # keys between two progress reports


def evaluate_corpus(
    checkpoint: Checkpoint,
    text: str,
    *,
    adaptive: bool = False,
    split: str = "all",
    on_progress: Callable[[str, int, int], None] | None = None,
) -> dict:
    """Every predictor guesses each key of `text` before seeing it. With split="test", only the corpus' held-out
    tail is scored (the keys before it are shown to each predictor first, unscored). `experts` holds each of the
    model's experts' figures on the scored keys; `calibration_error` is that of the confidence the model shows.
    `on_progress(player, done, total)` hears about every 20,000 keys, so a long corpus shows it is moving."""
    warmup = ""
    if split == "test":
        parts = split_text(text)
        warmup, text = parts.train + parts.val, parts.test
    predictors = players(checkpoint, adaptive=adaptive, corpus_fit=warmup)
    warmup = warmup[-256:]
    model = predictors["model"]
    # the experts' figures are counted from the first scored key: the warmup is not part of the game
    for key in warmup:
        for predictor in predictors.values():
            predictor.warm(key)
    model.reset_expert_metrics()
    experts = model.expert_metrics()
    results = {name: _replay(name, p, text, on_progress) for name, p in predictors.items()}
    model_metrics = results.pop("model")
    return {
        "n": len(text),
        "model": model_metrics.to_json(),
        "baselines": {name: metrics.to_json() for name, metrics in results.items()},
        "experts": {
            name: {**metrics.to_json(), "calibration_error": round(metrics.calibration_error, 6)}
            for name, metrics in experts.items()
        },
        "weights": {name: round(weight, 4) for name, weight in model.weights().items()},
        "calibration_error": round(model_metrics.calibration_error, 6),
        "adaptive": adaptive,
        "split": split,
        "checkpoint": checkpoint.label,
    }


def _replay(name: str, predictor: Predictor, text: str, on_progress) -> StreamingMetrics:
    metrics = StreamingMetrics()
    for start in range(0, len(text), PROGRESS_KEYS):  # slices of one replay: the same guesses, the same metrics
        replay(predictor, text[start : start + PROGRESS_KEYS], metrics=metrics)
        if on_progress is not None:
            on_progress(name, min(len(text), start + PROGRESS_KEYS), len(text))
    return metrics
