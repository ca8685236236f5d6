"""How long a training run has left, the whole of it: the epochs still to run (no further than --max-seconds lets
them), the refit over train + validation keys, and the key-by-key replays of the test keys through play's predictor.

An estimate, not a promise: early stopping may end the epochs sooner, and the refit's length follows the best epoch,
which can still move. Every part is measured on this run (seconds per epoch, seconds per replayed key).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class RunShape:
    """What a run will do, as far as its length goes."""

    epochs: int
    train_keys: int
    val_keys: int
    max_seconds: float | None = None
    refit: bool = True
    refit_fraction: float = 0.5
    replayed_keys: int = 0  # keys replayed one at a time after training (the test keys through play's predictor)


def remaining_seconds(shape: RunShape, *, epoch: int, elapsed: float, best_epoch: int, step_seconds: float) -> float:
    """Seconds left after `epoch` epochs took `elapsed` seconds."""
    per_epoch = elapsed / max(epoch, 1)
    epochs_left = shape.epochs - epoch
    if shape.max_seconds is not None:  # an epoch that starts before the limit runs to its end
        epochs_left = min(epochs_left, max(0, math.ceil((shape.max_seconds - elapsed) / per_epoch)))
    training = epochs_left * per_epoch
    refit = 0.0
    if shape.refit:
        refit_epochs = max(1, round(max(best_epoch, 1) * shape.refit_fraction))
        refit = refit_epochs * per_epoch * (shape.train_keys + shape.val_keys) / max(shape.train_keys, 1)
        if shape.max_seconds is not None:  # the refit stops at the limit too
            refit = min(refit, max(0.0, shape.max_seconds - elapsed - training) + per_epoch)
    return training + refit + shape.replayed_keys * step_seconds


def measure_step_seconds(model, samples: int = 24) -> float:
    """Seconds the model takes to read one key alone, as the replays do (measured, not assumed)."""
    import torch

    was_training = model.training
    model.eval()
    state = None
    try:
        with torch.no_grad():
            model.step(0, state)  # the first call pays one-off costs
            started = time.perf_counter()
            for i in range(samples):
                _, state = model.step(i % 2, state)
            return (time.perf_counter() - started) / samples
    finally:
        model.train(was_training)
