"""A training run's settings and the reference notebook's, without torch: `keytui train --help` shows their
defaults, and the settings are checked before torch has loaded."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from keytui.errors import KeytuiError

OBJECTIVES = ("chunk", "window")
MIN_SPLIT_KEYS = 16  # each of train / validation / test needs at least this many keys


@dataclass(frozen=True)
class TrainConfig:
    objective: str = "chunk"
    epochs: int = 60
    # Small batches of short chunks: many cheap, noisy steps generalise better on a 10,000-key corpus than few big
    # ones (benchmarks/bench_training.py); the state still carries across chunks, so context is not cut at 16.
    batch_size: int = 8
    seq_len: int = 16
    lr: float = 5e-4
    optimizer: str = "adamw"
    weight_decay: float = 0.01
    clip: float = 1.0
    patience: int = 8  # early stopping: epochs without a better validation loss
    lr_patience: int = 2  # ReduceLROnPlateau
    lr_factor: float = 0.5
    min_lr: float = 1e-5
    test_fraction: float = 0.1
    val_fraction: float = 0.2
    seed: int = 0
    eval: str = "auto"  # "stream", "window", or "auto" (the one that matches the objective)
    eval_window: int | None = None  # keys per window for window evaluation (default: seq_len)
    # After early stopping chose the weights, go on training on train + validation (the player's most recent keys)
    # for refit_fraction * best_epoch epochs, at the learning rate of the best epoch, averaging over the refit
    # only: the final model then learns from every key but the test ones, the most recent ones included.
    refit: bool = True
    refit_fraction: float = 0.5
    # An exponential moving average of the weights over about this many epochs (0 = off): validation, checkpoints
    # and the final model use the averaged weights, which generalise better than the last noisy step's. Counted in
    # epochs, not steps, so a 200-key corpus (one step an epoch) is averaged over as many epochs as 10,000 keys are.
    average_epochs: float = 9.0
    max_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise KeytuiError(f"unknown objective {self.objective!r}; choose chunk or window")
        if self.optimizer not in ("adam", "adamw"):
            raise KeytuiError(f"unknown optimizer {self.optimizer!r}; choose adam or adamw")
        if self.eval not in ("auto", "stream", "window"):
            raise KeytuiError(f"unknown evaluation {self.eval!r}; choose auto, stream or window")
        for name in ("epochs", "batch_size", "seq_len", "patience"):
            if getattr(self, name) < 1:
                raise KeytuiError(f"--{name.replace('_', '-')} must be at least 1")
        for name in ("lr", "weight_decay", "average_epochs", "refit_fraction", "max_seconds", "lr_factor", "min_lr"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):  # nan, inf: the train form can type them too
                raise KeytuiError(f"--{name.replace('_', '-')} must be a finite number, not {value!r}")
        if not self.lr > 0:
            raise KeytuiError("--lr must be positive")
        if not self.refit_fraction > 0:
            raise KeytuiError("--refit-fraction must be positive")
        if not self.average_epochs >= 0:
            raise KeytuiError("--average-epochs must be 0 (off) or positive")
        if not (0 < self.test_fraction < 0.5 and 0 < self.val_fraction < 0.5):
            raise KeytuiError("test and validation fractions must be between 0 and 0.5")

    @property
    def eval_mode(self) -> str:
        if self.eval != "auto":
            return self.eval
        return "stream" if self.objective == "chunk" else "window"

    def to_json(self) -> dict:
        return asdict(self)


# The reference notebook's configuration, for `--preset reference` and the benchmark.
REFERENCE_MODEL = {
    "arch": "gru",
    "embedding_dim": 70,
    "hidden_size": 150,
    "num_layers": 2,
    "dropout": 0.1,
    "share_key_caps": False,
}
REFERENCE_TRAINING = TrainConfig(
    objective="window",
    epochs=150,
    batch_size=50,
    seq_len=70,
    lr=1e-4,
    optimizer="adam",
    weight_decay=0.0,
    clip=0.0,
    patience=30,
    lr_patience=5,
    lr_factor=0.5,
    min_lr=1e-6,
    refit=False,  # the notebook keeps its best-validation weights
    average_epochs=0.0,
)
