"""Training: splits, batching, the training loop, evaluation. No UI: progress goes to a callback as events.

Two objectives:
- "chunk" (default): the training keys are cut into `batch_size` parallel streams read `seq_len` keys at a time,
  carrying the recurrent state across chunks (truncated backpropagation); every position predicts its next key.
- "window": the reference notebook's setup; every window of `seq_len` keys predicts the single key after it.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import torch
import torch.nn.functional as F

from keytui.data.metrics import f1_from_ids
from keytui.data.vocab import Vocab
from keytui.errors import KeytuiError
from keytui.model.eta import RunShape, measure_step_seconds, remaining_seconds
from keytui.model.models import KeyModel, ModelConfig, detach_state
from keytui.model.train_config import (  # noqa: F401  (the settings live apart from torch; imported from here too)
    MIN_SPLIT_KEYS,
    OBJECTIVES,
    REFERENCE_MODEL,
    REFERENCE_TRAINING,
    TrainConfig,
)


@dataclass(frozen=True)
class Split:
    train: str
    val: str
    test: str


def split_text(text: str, test_fraction: float = 0.1, val_fraction: float = 0.2) -> Split:
    """Last `test_fraction` is the test set; the last `val_fraction` of the rest validates. Unlike the reference
    notebook, the test set really is the held-out tail (it used the validation keys twice)."""
    test_start = int(len(text) * (1 - test_fraction))
    val_start = int(test_start * (1 - val_fraction))
    split = Split(text[:val_start], text[val_start:test_start], text[test_start:])
    return split


def minimum_keys(test_fraction: float = 0.1, val_fraction: float = 0.2) -> int:
    """The shortest corpus whose every split has MIN_SPLIT_KEYS keys."""
    n = MIN_SPLIT_KEYS
    while True:
        s = split_text("x" * n, test_fraction, val_fraction)
        if min(len(s.train), len(s.val), len(s.test)) >= MIN_SPLIT_KEYS and len(s.train) > 32:
            return n
        n += 1


def check_corpus_size(text: str, config: TrainConfig, label: str) -> None:
    needed = max(minimum_keys(config.test_fraction, config.val_fraction), 200)
    if len(text) < needed:
        raise KeytuiError(
            f"corpus {label!r} has {len(text)} keys; training needs at least {needed} "
            f"({needed - len(text)} more; 10,000 recommended)"
        )


# ---- events --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingStarted:
    epochs: int
    batches_per_epoch: int
    train_keys: int
    val_keys: int
    test_keys: int
    parameters: int
    vocab_size: int


@dataclass(frozen=True)
class RefitStarted:
    epochs: int
    batches_per_epoch: int
    keys: int


@dataclass(frozen=True)
class BatchDone:
    epoch: int
    batch: int
    batches: int
    loss: float


@dataclass(frozen=True)
class EpochDone:
    epoch: int
    epochs: int
    train_loss: float
    val_loss: float
    val_accuracy: float
    macro_f1: float
    weighted_f1: float
    lr: float
    best_val_loss: float
    improved: bool
    patience_left: int
    elapsed: float
    eta_seconds: float

    def to_json(self) -> dict:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass
class Evaluation:
    loss: float
    accuracy: float
    top3_accuracy: float
    macro_f1: float
    weighted_f1: float
    keys: int

    @property
    def bits_per_char(self) -> float:
        return self.loss / math.log(2)

    def to_json(self) -> dict:
        data = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(self).items()}
        data["bits_per_char"] = round(self.bits_per_char, 6)
        return data


@dataclass
class TrainResult:
    model: KeyModel
    stopped: str  # "early_stop", "max_epochs", "time_limit", "cancelled"
    epochs_run: int
    best_epoch: int
    best_val_loss: float
    history: list[EpochDone] = field(default_factory=list)
    test: Evaluation | None = None
    seconds: float = 0.0
    refit_epochs: int = 0  # epochs run on train + validation after early stopping


@dataclass(frozen=True)
class TrainingFinished:
    result: TrainResult


Event = TrainingStarted | BatchDone | EpochDone | RefitStarted | TrainingFinished
EventCallback = Callable[[Event], None]


# ---- batching ------------------------------------------------------------------------------------------------


def chunk_batches(ids: torch.Tensor, batch_size: int, seq_len: int, offset: int = 0):
    """Yield (x, y) of shape (B, <=seq_len): `batch_size` contiguous streams read in order."""
    usable = len(ids) - 1 - offset
    streams = max(1, min(batch_size, usable // max(seq_len, 1)))
    length = usable // streams
    x = ids[offset : offset + streams * length].view(streams, length)
    y = ids[offset + 1 : offset + 1 + streams * length].view(streams, length)
    for start in range(0, length, seq_len):
        yield x[:, start : start + seq_len], y[:, start : start + seq_len]


def count_chunk_batches(n: int, batch_size: int, seq_len: int) -> int:
    usable = n - 1
    streams = max(1, min(batch_size, usable // max(seq_len, 1)))
    return math.ceil((usable // streams) / seq_len)


def windows(ids: torch.Tensor, seq_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every window of `seq_len` keys (N, seq_len) and the key after each (N,)."""
    seq_len = min(seq_len, len(ids) - 1)
    x = ids.unfold(0, seq_len, 1)[:-1]
    return x, ids[seq_len:]


# ---- evaluation ----------------------------------------------------------------------------------------------


@torch.inference_mode()
def evaluate_stream(model: KeyModel, ids: torch.Tensor, context: torch.Tensor | None = None) -> Evaluation:
    """Read `context` then `ids` as one sequence; score the prediction of every key of `ids`."""
    model.eval()
    seq = ids if context is None or len(context) == 0 else torch.cat([context, ids])
    scored = len(ids) if context is not None and len(context) else len(ids) - 1
    logits, _, _ = model(seq[:-1].unsqueeze(0))
    logits = logits[0, -scored:]
    return _evaluation(logits, seq[-scored:])


@torch.inference_mode()
def evaluate_windows(
    model: KeyModel, ids: torch.Tensor, seq_len: int, context: torch.Tensor | None = None
) -> Evaluation:
    """The reference notebook's evaluation: each window of `seq_len` keys predicts the next one."""
    model.eval()
    if context is not None and len(context):
        ids = torch.cat([context[-seq_len:], ids])
    x, y = windows(ids, seq_len)
    logits = torch.cat([model(xb, last_only=True)[0] for xb in x.split(512)])
    return _evaluation(logits, y)


def _evaluation(logits: torch.Tensor, targets: torch.Tensor) -> Evaluation:
    loss = F.cross_entropy(logits, targets).item()
    masked = logits.clone()
    masked[:, 0] = float("-inf")  # the unknown key is never a guess
    top3 = masked.topk(min(3, masked.size(1) - 1), dim=1).indices
    preds = top3[:, 0]
    accuracy = (preds == targets).float().mean().item()
    top3_accuracy = (top3 == targets.unsqueeze(1)).any(dim=1).float().mean().item()
    macro, weighted = f1_from_ids(targets.tolist(), preds.tolist())
    return Evaluation(loss, accuracy, top3_accuracy, macro, weighted, len(targets))


# ---- the loop ------------------------------------------------------------------------------------------------


class WeightAverage:
    """An exponential moving average of a model's weights, started from the initial weights with a constant decay
    (as timm's ModelEmaV2). Early on the average still holds some of the small initial weights, which shrinks it:
    on 10,000 keys that is a regulariser worth having (see benchmarks/bench_training.py)."""

    def __init__(self, model: KeyModel, decay: float) -> None:
        self.module = copy.deepcopy(model).eval()
        self.decay = decay

    @torch.no_grad()
    def update(self, model: KeyModel) -> None:
        for average, current in zip(self.module.parameters(), model.parameters(), strict=True):
            average.lerp_(current, 1 - self.decay)


class Trainer:
    """Trains a network on a split: a new one from `model_config`, or, given `initial`, a copy of that network
    (fine-tuning a prior: `vocab` must then be the one it was trained with)."""

    def __init__(
        self,
        model_config: ModelConfig,
        config: TrainConfig,
        vocab: Vocab,
        split: Split,
        initial: KeyModel | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        """`clock`: seconds, for `max_seconds` (tests pass a fake one)."""
        self.config = config
        self.clock = clock
        self.vocab = vocab
        self.split = split
        torch.manual_seed(config.seed)
        if initial is None:
            self.model = KeyModel(model_config, vocab.tokens)
        else:
            if initial.config.vocab_size != len(vocab):
                raise KeytuiError(f"the model to fine-tune reads {initial.config.vocab_size} keys, not {len(vocab)}")
            self.model = copy.deepcopy(initial)
        self.averaged: WeightAverage | None = None
        self.train_ids = torch.tensor(vocab.encode(split.train), dtype=torch.long)
        self.val_ids = torch.tensor(vocab.encode(split.val), dtype=torch.long)
        self.test_ids = torch.tensor(vocab.encode(split.test), dtype=torch.long)

    def batches_per_epoch(self, ids: torch.Tensor | None = None) -> int:
        c = self.config
        n = len(self.train_ids if ids is None else ids)
        if c.objective == "window":
            return math.ceil((n - min(c.seq_len, n - 1)) / c.batch_size)
        return count_chunk_batches(n, c.batch_size, c.seq_len)

    @property
    def scored_model(self) -> KeyModel:
        """The weights that are evaluated and kept: the moving average when there is one."""
        return self.model if self.averaged is None else self.averaged.module

    def _start_average(self, ids: torch.Tensor | None = None, epochs: float | None = None) -> None:
        """Average from the current weights over about `epochs` (default: the configured horizon)."""
        if self.config.average_epochs > 0:
            steps = (epochs or self.config.average_epochs) * self.batches_per_epoch(ids)
            self.averaged = WeightAverage(self.model, decay=1 - 1 / max(steps, 1.0))

    def evaluate(self, ids: torch.Tensor, context: torch.Tensor) -> Evaluation:
        if self.config.eval_mode == "window":
            return evaluate_windows(self.scored_model, ids, self.config.eval_window or self.config.seq_len, context)
        return evaluate_stream(self.scored_model, ids, context[-256:])

    def evaluate_test(self) -> Evaluation:
        """The network alone on the test keys, read after the fitted ones (the predictor's score is fit.py's)."""
        return self.evaluate(self.test_ids, torch.cat([self.train_ids, self.val_ids]))

    def _epoch_batches(self, ids: torch.Tensor, generator: torch.Generator):
        c = self.config
        if c.objective == "window":
            x, y = windows(ids, c.seq_len)  # views into ids: no copy
            order = torch.randperm(len(y), generator=generator)
            for batch in order.split(c.batch_size):
                yield x[batch], y[batch]
        else:  # a random shift each epoch so chunk boundaries fall in new places
            offset = int(torch.randint(0, c.seq_len, (1,), generator=generator))
            offset = min(offset, max(0, len(ids) - 2 * c.seq_len))
            yield from chunk_batches(ids, c.batch_size, c.seq_len, offset)

    def _train_epoch(self, ids, epoch, optimizer, generator, cancel, emit, until: float | None = None) -> float:
        """One pass over `ids`; returns the mean training loss. A cancel stops it at the next batch (_Cancelled);
        so does reaching `until` on the clock (_TimeUp, with the mean loss of the batches run): one batch of a
        10 MB corpus is milliseconds, its epoch minutes."""
        c = self.config
        model = self.model
        model.train()
        batches = self.batches_per_epoch(ids)
        state, total, count = None, 0.0, 0
        for batch_index, (x, y) in enumerate(self._epoch_batches(ids, generator), start=1):
            if cancel.is_set():
                raise _Cancelled
            if until is not None and count and self.clock() >= until:
                raise _TimeUp(total / count)
            if c.objective == "window":
                _, loss, _ = model(x, y, last_only=True)
            else:
                if state is not None and state[0].size(1) != x.size(0):
                    state = None
                _, loss, state = model(x, y, state)
                state = detach_state(state)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if c.clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), c.clip)
            optimizer.step()
            if self.averaged is not None:
                self.averaged.update(model)
            total += loss.item()
            count += 1
            emit(BatchDone(epoch, batch_index, batches, loss.item()))
        return total / max(count, 1)

    def run(self, on_event: EventCallback | None = None, cancel: threading.Event | None = None) -> TrainResult:
        c = self.config
        emit = on_event or (lambda event: None)
        cancel = cancel or threading.Event()
        model = self.model
        generator = torch.Generator().manual_seed(c.seed)
        optimizer_class = torch.optim.AdamW if c.optimizer == "adamw" else torch.optim.Adam
        optimizer = optimizer_class(model.parameters(), lr=c.lr, weight_decay=c.weight_decay)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=c.lr_factor, patience=c.lr_patience, min_lr=c.min_lr
        )
        batches = self.batches_per_epoch()
        emit(
            TrainingStarted(
                c.epochs,
                batches,
                len(self.train_ids),
                len(self.val_ids),
                len(self.test_ids),
                model.num_parameters(),
                len(self.vocab),
            )
        )
        shape, step_seconds = self._run_shape(), measure_step_seconds(model)
        started = self.clock()
        self._started = started
        until = None if c.max_seconds is None else started + c.max_seconds
        self._start_average()
        best_loss, best_epoch, best_state, bad_epochs = math.inf, 0, None, 0
        best_lr = c.lr
        history: list[EpochDone] = []
        stopped = "max_epochs"
        try:
            for epoch in range(1, c.epochs + 1):
                try:
                    train_loss = self._train_epoch(self.train_ids, epoch, optimizer, generator, cancel, emit, until)
                except _TimeUp as cut:  # the time is up mid-epoch: score the weights reached, as an epoch's end
                    train_loss = cut.mean_loss
                val = self.evaluate(self.val_ids, self.train_ids)
                scheduler.step(val.loss)
                improved = val.loss < best_loss - 1e-4
                if improved:
                    best_loss, best_epoch, bad_epochs = val.loss, epoch, 0
                    best_lr = optimizer.param_groups[0]["lr"]
                    best_state = copy.deepcopy(self.scored_model.state_dict())
                else:
                    bad_epochs += 1
                elapsed = self.clock() - started
                event = EpochDone(
                    epoch=epoch,
                    epochs=c.epochs,
                    train_loss=train_loss,
                    val_loss=val.loss,
                    val_accuracy=val.accuracy,
                    macro_f1=val.macro_f1,
                    weighted_f1=val.weighted_f1,
                    lr=optimizer.param_groups[0]["lr"],
                    best_val_loss=best_loss,
                    improved=improved,
                    patience_left=c.patience - bad_epochs,
                    elapsed=elapsed,
                    eta_seconds=remaining_seconds(  # the whole run: epochs, refit and choices
                        shape, epoch=epoch, elapsed=elapsed, best_epoch=best_epoch, step_seconds=step_seconds
                    ),
                )
                history.append(event)
                emit(event)
                if bad_epochs >= c.patience:
                    stopped = "early_stop"
                    break
                if c.max_seconds is not None and elapsed >= c.max_seconds:
                    stopped = "time_limit"
                    break
                if cancel.is_set():
                    raise _Cancelled
        except (_Cancelled, KeyboardInterrupt):
            stopped = "cancelled"
        refit_epochs = 0
        if best_state is not None:
            model.load_state_dict(best_state)
            if c.refit and stopped != "cancelled":
                for group in optimizer.param_groups:  # the rate that found the chosen weights, not a decayed one
                    group["lr"] = best_lr
                refit_epochs = self._refit(best_epoch, optimizer, generator, _Deadline(cancel, until, self.clock), emit)
                if self.averaged is not None:
                    model.load_state_dict(self.averaged.module.state_dict())
        self.averaged = None  # from here on, self.model holds the final weights
        model.eval()
        result = TrainResult(
            model,
            stopped,
            len(history),
            best_epoch,
            best_loss,
            history,
            seconds=self.clock() - started,
            refit_epochs=refit_epochs,
        )
        if best_state is not None and stopped != "cancelled":  # a cancel (Ctrl-C) stops now: no test keys read
            result.test = self.evaluate_test()
        emit(TrainingFinished(result))
        return result

    def _run_shape(self) -> RunShape:
        c = self.config
        # After training, the test keys are replayed key by key through play's predictor, frozen and adaptive
        # (keytui.game.fit.test_predictor); the adaptive replay also learns, so it counts about twice.
        replayed = 3 * (len(self.test_ids) + 256)
        return RunShape(
            epochs=c.epochs,
            train_keys=len(self.train_ids),
            val_keys=len(self.val_ids),
            max_seconds=c.max_seconds,
            refit=c.refit,
            refit_fraction=c.refit_fraction,
            replayed_keys=replayed,
        )

    def _refit(self, best_epoch, optimizer, generator, cancel, emit) -> int:
        """Go on from the best weights over train + validation; a cancel here keeps the weights reached so far.
        Returns the epochs completed."""
        ids = torch.cat([self.train_ids, self.val_ids])
        epochs = max(1, round(best_epoch * self.config.refit_fraction))
        # The average restarts from the chosen weights and spans the refit's last third: an average reaching back
        # to the start would still be mostly weights that never saw the validation keys.
        self._start_average(ids, min(self.config.average_epochs, epochs / 3))
        emit(RefitStarted(epochs, self.batches_per_epoch(ids), len(ids)))
        done = 0
        try:
            for epoch in range(1, epochs + 1):
                self._train_epoch(ids, epoch, optimizer, generator, cancel, emit)
                done = epoch
                limit = self.config.max_seconds
                if limit is not None and self.clock() - self._started >= limit:
                    break  # --max-seconds bounds the whole run, the refit included
        except (_Cancelled, KeyboardInterrupt):
            pass
        return done


class _Cancelled(Exception):
    pass


class _TimeUp(Exception):
    """`max_seconds` ran out within an epoch; carries the mean loss of the batches that ran."""

    def __init__(self, mean_loss: float) -> None:
        super().__init__()
        self.mean_loss = mean_loss


class _Deadline:
    """A cancel flag that also reads as set once `--max-seconds` has run out (the refit honours the limit too)."""

    def __init__(self, cancel: threading.Event, until: float | None, clock: Callable[[], float]) -> None:
        self.cancel = cancel
        self.until = until
        self.clock = clock

    def is_set(self) -> bool:
        return self.cancel.is_set() or (self.until is not None and self.clock() >= self.until)


def with_overrides(config: TrainConfig, **overrides) -> TrainConfig:
    return replace(config, **{k: v for k, v in overrides.items() if v is not None})
