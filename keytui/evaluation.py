"""`keytui eval`: replay a corpus as a game for a model and the baselines side by side."""

from __future__ import annotations

from keytui.adaptation import model_predictor
from keytui.checkpoint import Checkpoint
from keytui.predictors import MajorityPredictor, NGramPredictor, Predictor, replay
from keytui.training import split_text


def players(checkpoint: Checkpoint, *, adaptive: bool) -> dict[str, Predictor]:
    """The model and the baselines, each fitted on the keys the model was fitted on."""
    fit_text = checkpoint.fit_text
    return {
        "model": model_predictor(checkpoint, adaptive=adaptive),
        "majority": MajorityPredictor(fit_text, adaptive=adaptive),
        "ngram": NGramPredictor(fit_text, adaptive=adaptive),
    }


def evaluate_corpus(checkpoint: Checkpoint, text: str, *, adaptive: bool = False, split: str = "all") -> dict:
    """Every predictor guesses each key of `text` before seeing it. With split="test", only the corpus' held-out
    tail is scored (the keys before it are shown to each predictor first, unscored)."""
    warmup = ""
    if split == "test":
        parts = split_text(text)
        warmup, text = parts.train + parts.val, parts.test
    warmup = warmup[-256:]
    scores = {
        name: replay(p, text, warmup=warmup).to_json() for name, p in players(checkpoint, adaptive=adaptive).items()
    }
    return {
        "n": len(text),
        "model": scores.pop("model"),
        "baselines": scores,
        "adaptive": adaptive,
        "split": split,
        "checkpoint": checkpoint.label,
    }
