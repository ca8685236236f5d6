"""Training stops when told: --max-seconds and a cancel (Ctrl-C) are honoured at the next batch, not the next
epoch, and a Ctrl-C does not go on to score the test keys. Counted in batches, with a fake clock: no timings."""

import json
import threading

import pytest
import torch

from keytui.cli.main import main
from keytui.data.vocab import Vocab
from keytui.model.models import ModelConfig
from keytui.model.training import BatchDone, TrainConfig, Trainer, split_text

from .conftest import TINY_MODEL


def _trainer(text, clock, **overrides):
    vocab = Vocab.from_text(text)
    config = TrainConfig(**{"epochs": 3, "seq_len": 16, "batch_size": 4, "refit": False, **overrides})
    return Trainer(ModelConfig(vocab_size=len(vocab), **TINY_MODEL), config, vocab, split_text(text), clock=clock)


def test_max_seconds_is_checked_after_every_batch(small_text):
    """Each batch takes one second on the fake clock; with 5 seconds allowed, the sixth batch never runs, although
    the first epoch has many more: the weights reached are scored and kept as that epoch's."""
    now = [0.0]
    batches = []

    def on_event(event):
        if isinstance(event, BatchDone):
            batches.append(event)
            now[0] += 1.0

    trainer = _trainer(small_text, lambda: now[0], max_seconds=5)
    assert trainer.batches_per_epoch() > 10
    result = trainer.run(on_event)
    assert len(batches) == 5
    assert result.stopped == "time_limit" and result.epochs_run == 1 and result.best_epoch == 1


def test_a_cancel_stops_at_the_next_batch_and_reads_no_test_keys(small_text):
    cancel = threading.Event()
    batches = []

    def on_event(event):
        if isinstance(event, BatchDone):
            batches.append(event)
            if len(batches) == 3:
                cancel.set()

    result = _trainer(small_text, lambda: 0.0).run(on_event, cancel)
    assert len(batches) == 3 and result.stopped == "cancelled"
    assert result.test is None


@pytest.fixture
def interrupt_at_step(monkeypatch):
    """Ctrl-C (a KeyboardInterrupt) during the optimiser's step number `n`; counts the steps and the test replays."""
    seen = {"steps": 0, "replays": 0}

    def arm(n: int):
        step = torch.optim.AdamW.step

        def counting(self, *args, **kwargs):
            seen["steps"] += 1
            if seen["steps"] == n:
                raise KeyboardInterrupt
            return step(self, *args, **kwargs)

        def replay(*args, **kwargs):
            seen["replays"] += 1
            return {}

        monkeypatch.setattr(torch.optim.AdamW, "step", counting)
        monkeypatch.setattr("keytui.game.fit.test_predictor", replay)
        monkeypatch.setattr("keytui.game.fit.test_baselines", replay)
        return seen

    return arm


def _train(capsys, *extra):
    hidden = str(TINY_MODEL["hidden_size"])
    argv = ["train", "--corpus", "small", "--out", "m", "--hidden", hidden, "--layers", "1", "--from-scratch"]
    code = main([*argv, "--seq-len", "16", "--batch-size", "4", "--epochs", "3", *extra])
    return (code, *capsys.readouterr())


def test_ctrl_c_before_the_first_epoch_ends_says_interrupted(home, capsys, small_text, interrupt_at_step):
    (home / "corpora" / "small.txt").write_text(small_text)
    seen = interrupt_at_step(3)
    code, _, err = _train(capsys)
    assert code == 130 and "interrupted" in err and "error" not in err
    assert seen["steps"] == 3 and seen["replays"] == 0
    assert not list((home / "checkpoints").glob("m*.safetensors"))


def test_ctrl_c_after_an_epoch_keeps_it_and_replays_no_test_keys(home, capsys, small_text, interrupt_at_step):
    from keytui.model.checkpoint import read_metadata

    (home / "corpora" / "small.txt").write_text(small_text)
    vocab = Vocab.from_text(small_text)
    split = split_text(small_text)
    trainer = Trainer(ModelConfig(vocab_size=len(vocab)), TrainConfig(seq_len=16, batch_size=4), vocab, split)
    first_epoch = trainer.batches_per_epoch()
    seen = interrupt_at_step(first_epoch + 2)  # in the second epoch
    code, out, err = _train(capsys, "--json")
    assert code == 130 and "interrupted" in err
    assert seen["steps"] == first_epoch + 2 and seen["replays"] == 0
    summary = json.loads(out)
    assert summary["stopped"] == "cancelled" and summary["test"] is None
    assert read_metadata(summary["checkpoint"])["status"] == "cancelled"
