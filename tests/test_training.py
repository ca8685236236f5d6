import copy
import threading

import pytest
import torch

from keytui.data.vocab import Vocab
from keytui.errors import KeytuiError
from keytui.game.fit import fit_and_save
from keytui.model.models import KeyModel, ModelConfig
from keytui.model.training import (
    BatchDone,
    EpochDone,
    RefitStarted,
    TrainConfig,
    Trainer,
    TrainingStarted,
    WeightAverage,
    check_corpus_size,
    chunk_batches,
    split_text,
    windows,
)
from keytui.predictors import NeuralPredictor, replay

from .conftest import TINY_MODEL


def test_split_holds_out_the_tail_for_test_and_never_reuses_validation():
    text = "".join(chr(ord("a") + i % 26) for i in range(1000))
    split = split_text(text)
    assert split.train + split.val + split.test == text
    assert len(split.test) == 100 and len(split.val) == 180 and len(split.train) == 720
    assert split.test == text[-100:]  # the reference notebook's bug scored the validation keys as "test"


def test_chunk_batches_cover_every_next_key_prediction_in_order():
    ids = torch.arange(101)
    xs, ys = zip(*chunk_batches(ids, batch_size=4, seq_len=10), strict=True)
    x, y = torch.cat(xs, dim=1), torch.cat(ys, dim=1)
    assert x.shape == (4, 25)
    assert torch.equal(y, x + 1)  # every position's target is the key right after it
    assert torch.equal(x.flatten(), torch.arange(100))


def test_windows_pair_each_window_with_the_following_key():
    x, y = windows(torch.arange(10), 3)
    assert x.shape == (7, 3)
    assert torch.equal(x[0], torch.tensor([0, 1, 2])) and y[0] == 3 and y[-1] == 9


def test_too_short_corpus_says_how_many_more_keys_are_needed():
    with pytest.raises(KeytuiError, match=r"has 150 keys; training needs at least 200 \(50 more"):
        check_corpus_size("a" * 150, TrainConfig(), "tiny")


def _trainer(text, **overrides):
    vocab = Vocab.from_text(text)
    config = TrainConfig(**{"epochs": 4, "seq_len": 32, "batch_size": 8, "average_epochs": 0.0, **overrides})
    return Trainer(ModelConfig(vocab_size=len(vocab), **TINY_MODEL), config, vocab, split_text(text))


@pytest.mark.parametrize("objective", ["chunk", "window"])
def test_training_learns_a_learnable_sequence_and_reports_progress(objective):
    text = "qwerty asdf " * 40  # 480 keys: the window objective trains on every one of them, each epoch
    events = []
    result = _trainer(text, objective=objective, epochs=6, lr=1e-2).run(events.append)
    kinds = [type(e) for e in events]
    assert kinds[0] is TrainingStarted and BatchDone in kinds
    epochs = [e for e in events if isinstance(e, EpochDone)]
    assert epochs[-1].val_loss < epochs[0].val_loss
    assert {"lr", "macro_f1", "weighted_f1", "patience_left", "eta_seconds"} <= set(epochs[0].to_json())
    assert result.test is not None and result.test.accuracy > 0.5


def test_weight_average_moves_a_fraction_towards_the_trained_weights():
    model = KeyModel(ModelConfig(vocab_size=5, **TINY_MODEL))
    average = WeightAverage(model, decay=0.75)
    start = copy.deepcopy(model.state_dict())
    with torch.no_grad():
        for param in model.parameters():
            param.add_(1.0)
    average.update(model)
    for name, value in average.module.named_parameters():
        assert torch.allclose(value, start[name] + 0.25)


def test_the_kept_model_is_the_average_over_a_horizon_counted_in_epochs(small_text):
    # A horizon of a million epochs barely leaves the initial weights; without averaging training moves them.
    torch.manual_seed(0)
    initial = KeyModel(ModelConfig(vocab_size=len(Vocab.from_text(small_text)), **TINY_MODEL)).state_dict()
    averaged = _trainer(small_text, epochs=2, average_epochs=1e6, refit=False).run().model.state_dict()
    raw = _trainer(small_text, epochs=2, refit=False).run().model.state_dict()
    weight = "head.weight"
    assert torch.allclose(averaged[weight], initial[weight], atol=1e-3)
    assert not torch.allclose(raw[weight], initial[weight], atol=1e-3)
    short, long = _trainer("ab" * 150, average_epochs=9), _trainer(small_text, average_epochs=9)
    short._start_average()
    long._start_average()
    # the same nine epochs are fewer steps on fewer keys
    assert short.averaged.decay < long.averaged.decay
    assert 1 / (1 - long.averaged.decay) == pytest.approx(9 * long.batches_per_epoch())


def test_same_seed_same_model(small_text):
    a = _trainer(small_text, epochs=1).run()
    b = _trainer(small_text, epochs=1).run()
    assert a.best_val_loss == b.best_val_loss


def test_cancel_stops_training_and_keeps_the_best_epoch(small_text):
    cancel = threading.Event()

    def on_event(event):
        if isinstance(event, EpochDone) and event.epoch == 2:
            cancel.set()

    result = _trainer(small_text, epochs=50).run(on_event, cancel)
    assert result.stopped == "cancelled" and result.epochs_run == 2
    assert result.test is None  # a cancel stops: the test keys are for runs that finished


def _fit_tiny(text, path, config, on_event=None, cancel=None):
    return fit_and_save(
        text,
        corpus_name="s",
        out_path=path,
        model_settings=TINY_MODEL,
        train_config=config,
        on_event=on_event,
        cancel=cancel,
    )


def test_cancel_before_any_epoch_saves_nothing(tmp_path, small_text):
    cancel = threading.Event()
    cancel.set()
    outcome = _fit_tiny(small_text, tmp_path / "m.safetensors", TrainConfig(epochs=3), cancel=cancel)
    assert outcome.checkpoint is None and not (tmp_path / "m.safetensors").exists()


def test_early_stopping_respects_patience(small_text):
    result = _trainer(small_text, epochs=40, patience=1, lr=0.5).run()
    assert result.stopped == "early_stop"
    assert result.epochs_run == result.best_epoch + 1


def test_interrupt_during_training_keeps_the_best_checkpoint(tmp_path, small_text):
    """Ctrl-C (KeyboardInterrupt) after an epoch improved: the checkpoint from that epoch is on disk and loads."""
    from keytui.model.checkpoint import load_checkpoint

    path = tmp_path / "m.safetensors"

    def interrupt(event):
        if isinstance(event, EpochDone) and event.epoch == 2:
            raise KeyboardInterrupt

    outcome = _fit_tiny(small_text, path, TrainConfig(epochs=30, seq_len=32), interrupt)
    assert outcome.result.stopped == "cancelled"
    checkpoint = load_checkpoint(path)
    assert checkpoint.meta["status"] == "cancelled"
    assert checkpoint.fit_text == small_text[: len(checkpoint.fit_text)]


def test_the_checkpoint_saved_mid_training_holds_the_averaged_weights(tmp_path, small_text):
    """What a crash would leave on disk is the validated (averaged) model, not the last raw step."""
    from keytui.game.versions import candidate_path
    from keytui.model.checkpoint import load_checkpoint

    path = tmp_path / "m.safetensors"
    on_disk = {}

    def crash_after_first_epoch(event):
        if isinstance(event, EpochDone):
            on_disk.update(load_checkpoint(candidate_path(path)).model.state_dict())  # the run's file, not NAME's
            raise KeyboardInterrupt

    outcome = _fit_tiny(small_text, path, TrainConfig(epochs=5, average_epochs=3), crash_after_first_epoch)
    kept = outcome.result.model.state_dict()
    assert on_disk and all(torch.equal(on_disk[name], kept[name]) for name in kept)


def test_refit_goes_on_over_train_and_validation_keys(small_text):
    events = []
    refitted = _trainer(small_text, epochs=6, refit=True, refit_fraction=0.5).run(events.append)
    plain = _trainer(small_text, epochs=6, refit=False).run()
    starts = [e for e in events if isinstance(e, RefitStarted)]
    split = split_text(small_text)
    assert len(starts) == 1 and starts[0].keys == len(split.train) + len(split.val)
    assert refitted.refit_epochs == starts[0].epochs == max(1, round(refitted.best_epoch * 0.5))
    assert plain.refit_epochs == 0
    assert refitted.best_val_loss == plain.best_val_loss  # same seed: the same run until early stopping
    weights = refitted.model.state_dict()
    assert any(not torch.equal(weights[k], v) for k, v in plain.model.state_dict().items())


def test_training_knows_no_predictor_and_the_test_score_replays_the_one_play_uses(tiny_checkpoint, small_text):
    """The checkpoint holds a network; the end-of-training test replays the test keys through the predictor the
    factory builds for play, frozen and adaptive, and the network alone is training's own figure."""
    from keytui.model.checkpoint import load_checkpoint
    from keytui.predictors.factory import build_predictor

    checkpoint = load_checkpoint(tiny_checkpoint)
    assert "adaptation" not in checkpoint.meta and checkpoint.meta["memory"] == {"expert": True}
    scores = checkpoint.meta["metrics"]["predictor"]
    parts = split_text(small_text)
    fitted = parts.train + parts.val
    replayed = replay(build_predictor(checkpoint, adaptive=False), parts.test, warmup=fitted[-256:])
    assert scores["frozen"] == replayed.to_json()
    assert set(scores["adaptive"]) == set(replayed.to_json())
    network = replay(NeuralPredictor(checkpoint.model, checkpoint.vocab), parts.test, warmup=fitted[-256:])
    assert checkpoint.meta["metrics"]["test"]["accuracy"] == pytest.approx(network.hit_rate, abs=0.02)


def test_max_seconds_bounds_the_refit_too(small_text, tmp_path):
    """The refit phase runs under the same --max-seconds clock: it stops there instead of running all its epochs."""
    from keytui.model.training import TrainConfig

    config = TrainConfig(
        epochs=2,
        seq_len=16,
        batch_size=4,
        refit_fraction=5_000,  # 5,000 refit epochs per chosen epoch: minutes, were the limit ignored
        max_seconds=0.5,
    )
    outcome = fit_and_save(
        small_text, corpus_name="s", out_path=tmp_path / "m.safetensors", model_settings=TINY_MODEL, train_config=config
    )
    assert outcome.result.refit_epochs < 5_000 * outcome.result.best_epoch
