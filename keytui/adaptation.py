"""How fast a model learns from the player: chosen per model, on its validation keys, when training ends.

Random mashing and written text want different settings: on mashing the neural cache (fresh motifs) is worth a lot
and the model's own guesses little; on text the model is sharp and a heavy cache only blurs it. So instead of one
setting for every corpus, training replays (part of) the validation keys as a game for a few candidate settings,
with the weights that early stopping chose (they never trained on those keys), and keeps the best hit rate. The
choice is saved in the checkpoint and used whenever the model plays adaptively.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

from keytui.predictors import NeuralPredictor, replay

# Candidates, from a sweep on a synthetic masher and on a licence text (validation keys only): dynamic evaluation
# at 0.1 (the first default) cost text 7 points; 0.01-0.03 was best on both. The cache weight is what differs.
CANDIDATES = [(lr, cache) for cache in (0.1, 0.35) for lr in (0.01, 0.03)]
MAX_KEYS = 2000  # enough to tell the candidates apart, few enough to cost seconds


@dataclass(frozen=True)
class Adaptation:
    adapt_lr: float = 0.01
    cache_lambda: float = 0.35
    hit_rate: float | None = None  # on the validation keys it was chosen on

    def describe(self) -> str:
        rate = f" (validation hit {self.hit_rate:.1%})" if self.hit_rate is not None else ""
        return f"adaptive play: learning rate {self.adapt_lr:g}, cache weight {self.cache_lambda:g}{rate}"

    def predictor_settings(self) -> dict:
        return {"adapt_lr": self.adapt_lr, "cache_lambda": self.cache_lambda}

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Adaptation:
        """Settings saved in a checkpoint; anything missing or out of range falls back to the defaults."""
        default = cls()
        if not isinstance(data, dict):
            return default
        lr, cache = data.get("adapt_lr"), data.get("cache_lambda")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lr, cache)):
            return default
        if not (0 <= lr <= 1 and 0 <= cache < 1):
            return default
        return cls(float(lr), float(cache))


def choose_adaptation(model, vocab, context: str, val_text: str) -> Adaptation:
    """Replay the validation keys adaptively for each candidate; the best hit rate wins (ties: the first)."""
    keys = val_text[:MAX_KEYS]
    best: Adaptation | None = None
    for adapt_lr, cache_lambda in CANDIDATES:
        predictor = NeuralPredictor(
            copy.deepcopy(model), vocab, adaptive=True, adapt_lr=adapt_lr, cache_lambda=cache_lambda
        )
        hit_rate = replay(predictor, keys, warmup=context[-256:]).hit_rate
        if best is None or hit_rate > best.hit_rate:
            best = Adaptation(adapt_lr, cache_lambda, round(hit_rate, 6))
    return best


def model_predictor(checkpoint, *, adaptive: bool) -> NeuralPredictor:
    """The checkpoint's model as a player, adapting (if asked) with the settings chosen when it was trained."""
    settings = Adaptation.from_json(checkpoint.meta.get("adaptation")).predictor_settings()
    return NeuralPredictor(checkpoint.model, checkpoint.vocab, adaptive=adaptive, **settings)
